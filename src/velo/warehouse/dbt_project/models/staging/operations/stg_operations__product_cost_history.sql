with

source as (

    select * from {{ source('operations', 'productcosthistory') }}

),

renamed as (

    select
        cast(productid as integer) as product_id,
        cast(startdate as timestamp) as started_at,
        cast(enddate as timestamp) as ended_at,
        cast(standardcost as numeric(19, 4)) as standard_cost,
        cast(modifieddate as timestamp) as modified_at,
        _loaded_at as loaded_at
    from source

),

final as (

    select * from renamed

)

select * from final
