with

source as (

    select * from {{ source('operations', 'sales_order_header_sales_reason') }}

),

renamed as (

    select
        cast(sales_order_id as integer) as sales_order_id,
        cast(sales_reason_id as integer) as sales_reason_id,
        cast(modified_date as timestamp) as modified_at,
        _loaded_at as loaded_at
    from source

),

final as (

    select * from renamed

)

select * from final
