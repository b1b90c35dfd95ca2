-- One row per address: city, state (with its ISO 3166-2 code) and country.

with

addresses as (

    select * from {{ ref('stg_operations__address') }}

),

states as (

    select * from {{ ref('stg_operations__state_province') }}

),

countries as (

    select * from {{ ref('stg_operations__country_region') }}

),

final as (

    select
        {{ velo_utils.generate_surrogate_key(['addresses.address_id']) }} as address_key,
        addresses.address_id,
        addresses.city,
        addresses.postal_code,
        addresses.state_province_id,
        trim(states.state_province_code) as state_code,
        states.name as state_name,
        {{ velo_utils.iso_3166_2_code('states.country_region_code', 'states.state_province_code') }}
            as state_iso_code,
        trim(states.country_region_code) as country_code,
        countries.name as country_name
    from addresses
    left join states
        on addresses.state_province_id = states.state_province_id
    left join countries
        on states.country_region_code = countries.country_region_code

)

select * from final
