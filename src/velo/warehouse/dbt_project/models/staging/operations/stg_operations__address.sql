with

source as (

    select * from {{ source('operations', 'address') }}

),

renamed as (

    select
        cast(address_id as integer) as address_id,
        cast(address_line1 as varchar) as address_line1,
        cast(address_line2 as varchar) as address_line2,
        cast(city as varchar) as city,
        cast(state_province_id as integer) as state_province_id,
        cast(postal_code as varchar) as postal_code,
        cast(modified_date as timestamp) as modified_at,
        _loaded_at as loaded_at
    from source

),

final as (

    select * from renamed

)

select * from final
