with

source as (

    select * from {{ source('operations', 'productsubcategory') }}

),

renamed as (

    select
        cast(productsubcategoryid as integer) as product_subcategory_id,
        cast(productcategoryid as integer) as product_category_id,
        cast(name as varchar) as name,
        cast(modifieddate as timestamp) as modified_at,
        _loaded_at as loaded_at
    from source

),

final as (

    select * from renamed

)

select * from final
