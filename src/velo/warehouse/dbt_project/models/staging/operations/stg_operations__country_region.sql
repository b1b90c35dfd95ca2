with

source as (

    select * from {{ source('operations', 'countryregion') }}

),

renamed as (

    select
        cast(countryregioncode as varchar) as country_region_code,
        cast(name as varchar) as name,
        cast(modifieddate as timestamp) as modified_at,
        _loaded_at as loaded_at
    from source

),

final as (

    select * from renamed

)

select * from final
