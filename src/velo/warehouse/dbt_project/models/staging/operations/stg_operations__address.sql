with

source as (

    select * from {{ source('operations', 'address') }}

),

renamed as (

    select
        cast(addressid as integer) as address_id,
        cast(addressline1 as varchar) as address_line1,
        cast(addressline2 as varchar) as address_line2,
        cast(city as varchar) as city,
        cast(stateprovinceid as integer) as state_province_id,
        cast(postalcode as varchar) as postal_code,
        cast(modifieddate as timestamp) as modified_at,
        _loaded_at as loaded_at
    from source

),

final as (

    select * from renamed

)

select * from final
