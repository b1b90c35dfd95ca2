{{
    config(
        materialized='incremental',
        unique_key='work_order_id',
        cluster_by=['start_date'],
        post_hook="{{ delete_keys_gone_from(ref('fct_work_orders'), 'work_order_id') }}",
    )
}}

-- One big table of manufacturing (grain: work order) with product and calendar attributes,
-- written sorted by start date. Incremental like obt_sales_order_lines: only work orders new or
-- different from the built row are rewritten.

with

work_orders as (

    select * from {{ ref('fct_work_orders') }}

),

products as (

    select * from {{ ref('dim_product') }}

),

dates as (

    select * from {{ ref('dim_date') }}

),

joined as (

    select
        work_orders.work_order_id,
        work_orders.start_date,
        dates.month_start as start_month,
        dates.year_number as start_year,
        work_orders.end_date,
        work_orders.due_date,
        work_orders.order_quantity,
        work_orders.stocked_quantity,
        work_orders.scrapped_quantity,
        {{ velo_utils.safe_divide(
            'cast(work_orders.scrapped_quantity as double precision)',
            'work_orders.order_quantity',
        ) }}
            as scrap_rate,
        work_orders.unit_cost,
        work_orders.cost,
        work_orders.scrap_cost,
        work_orders.production_days,
        work_orders.is_late,
        work_orders.product_id,
        work_orders.product_key,
        products.product_name,
        products.subcategory_name,
        products.category_name
    from work_orders
    left join products
        on work_orders.product_key = products.product_key
    left join dates
        on work_orders.start_date = dates.date_day

),

final as (

    select joined.*
    from joined
    {{ changed_rows('joined', 'work_order_id') }}

)

select * from final
order by start_date, work_order_id
