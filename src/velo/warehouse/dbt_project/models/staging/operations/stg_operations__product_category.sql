with

source as (

    select * from {{ source('operations', 'product_category') }}

),

renamed as (

    select
        cast(product_category_id as integer) as product_category_id,
        cast(name as varchar) as name,
        cast(modified_date as timestamp) as modified_at,
        _loaded_at as loaded_at
    from source

),

final as (

    select * from renamed

)

select * from final
