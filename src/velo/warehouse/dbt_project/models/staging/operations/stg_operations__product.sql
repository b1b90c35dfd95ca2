with

source as (

    select * from {{ source('operations', 'product') }}

),

renamed as (

    select
        cast(productid as integer) as product_id,
        cast(name as varchar) as name,
        cast(productnumber as varchar) as product_number,
        cast(color as varchar) as color,
        cast(size as varchar) as size,
        cast(productsubcategoryid as integer) as product_subcategory_id,
        cast(standardcost as numeric(19, 4)) as standard_cost,
        cast(listprice as numeric(19, 4)) as list_price,
        cast(sellstartdate as timestamp) as sell_start_at,
        cast(sellenddate as timestamp) as sell_end_at,
        cast(modifieddate as timestamp) as modified_at,
        _loaded_at as loaded_at
    from source

),

final as (

    select * from renamed

)

select * from final
