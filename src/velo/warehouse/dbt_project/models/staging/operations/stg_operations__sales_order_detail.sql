with

source as (

    select * from {{ source('operations', 'sales_order_detail') }}

),

renamed as (

    select
        cast(sales_order_detail_id as integer) as sales_order_detail_id,
        cast(sales_order_id as integer) as sales_order_id,
        cast(order_qty as integer) as order_quantity,
        cast(product_id as integer) as product_id,
        cast(unit_price as numeric(19, 4)) as unit_price,
        cast(unit_price_discount as numeric(19, 4)) as discount_rate,
        cast(line_total as numeric(19, 4)) as line_total,
        cast(modified_date as timestamp) as modified_at,
        _loaded_at as loaded_at
    from source

),

final as (

    select * from renamed

)

select * from final
