-- Order lines with their order, the product version valid at the order's instant, and the money:
-- revenue is the line's actual total (unit price x quantity x (1 - discount)), never the list
-- price; cost is quantity x the standard cost valid when the order was placed. Left joins only:
-- a line with an unknown order or product stays (with null keys) for the tests to report.

with

lines as (

    select * from {{ ref('stg_operations__sales_order_detail') }}

),

orders as (

    select * from {{ ref('stg_operations__sales_order_header') }}

),

product_versions as (

    select * from {{ ref('int_product_versions') }}

),

joined as (

    select
        lines.sales_order_line_id,
        lines.sales_order_id,
        orders.sales_order_number,
        orders.ordered_at,
        orders.status_code,
        orders.customer_id,
        orders.bill_to_address_id,
        orders.ship_to_address_id,
        orders.credit_card_id,
        orders.is_online_order,
        orders.due_at,
        orders.shipped_at,
        lines.product_id,
        product_versions.product_key,
        lines.order_quantity,
        lines.unit_price,
        lines.discount_rate as discount,
        lines.line_total as source_line_total,
        product_versions.standard_cost as unit_cost,
        greatest(lines.modified_at, coalesce(orders.modified_at, lines.modified_at))
            as source_modified_at,
        greatest(lines.loaded_at, coalesce(orders.loaded_at, lines.loaded_at))
            as source_loaded_at
    from lines
    left join orders
        on lines.sales_order_id = orders.sales_order_id
    left join product_versions
        on {{ valid_version_at('product_versions', 'lines.product_id', 'orders.ordered_at') }}

),

priced as (

    select
        joined.*,
        cast(
            round(joined.unit_price * joined.order_quantity * (1 - joined.discount), 4)
            as numeric(19, 4)
        ) as revenue,
        cast(joined.order_quantity * joined.unit_cost as numeric(19, 4)) as cost
    from joined

),

final as (

    select
        sales_order_line_id,
        sales_order_id,
        sales_order_number,
        ordered_at,
        cast(ordered_at as date) as order_date,
        cast(due_at as date) as due_date,
        cast(shipped_at as date) as ship_date,
        status_code,
        customer_id,
        bill_to_address_id,
        ship_to_address_id,
        credit_card_id,
        is_online_order,
        product_id,
        product_key,
        order_quantity,
        unit_price,
        discount,
        source_line_total,
        revenue,
        unit_cost,
        cost,
        cast(revenue - cost as numeric(19, 4)) as profit,
        cast({{ velo_utils.safe_divide('revenue - cost', 'revenue') }} as numeric(19, 6)) as margin,
        source_modified_at,
        source_loaded_at
    from priced

)

select * from final
