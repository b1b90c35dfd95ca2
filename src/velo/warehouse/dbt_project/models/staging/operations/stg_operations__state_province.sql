with

source as (

    select * from {{ source('operations', 'stateprovince') }}

),

renamed as (

    select
        cast(stateprovinceid as integer) as state_province_id,
        cast(countryregioncode as varchar) as country_region_code,
        cast(name as varchar) as name,
        cast(modifieddate as timestamp) as modified_at,
        _loaded_at as loaded_at,
        trim(cast(stateprovincecode as varchar)) as state_province_code
    from source

),

final as (

    select * from renamed

)

select * from final
