with

source as (

    select * from {{ source('operations', 'country_region') }}

),

renamed as (

    select
        cast(country_region_code as varchar) as country_region_code,
        cast(name as varchar) as name,
        cast(modified_date as timestamp) as modified_at,
        _loaded_at as loaded_at
    from source

),

final as (

    select * from renamed

)

select * from final
