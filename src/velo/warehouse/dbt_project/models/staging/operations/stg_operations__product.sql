with

source as (

    select * from {{ source('operations', 'product') }}

),

renamed as (

    select
        cast(product_id as integer) as product_id,
        cast(name as varchar) as name,
        cast(product_number as varchar) as product_number,
        cast(color as varchar) as color,
        cast(size as varchar) as size,
        cast(product_subcategory_id as integer) as product_subcategory_id,
        cast(standard_cost as numeric(19, 4)) as standard_cost,
        cast(list_price as numeric(19, 4)) as list_price,
        cast(sell_start_date as timestamp) as sell_start_at,
        cast(sell_end_date as timestamp) as sell_end_at,
        cast(modified_date as timestamp) as modified_at,
        _loaded_at as loaded_at
    from source

),

final as (

    select * from renamed

)

select * from final
