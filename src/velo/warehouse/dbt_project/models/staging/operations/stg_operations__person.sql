with

source as (

    select * from {{ source('operations', 'person') }}

),

renamed as (

    select
        cast(business_entity_id as integer) as business_entity_id,
        cast(person_type as varchar) as person_type,
        cast(first_name as varchar) as first_name,
        cast(last_name as varchar) as last_name,
        cast(email_address as varchar) as email_address,
        cast(modified_date as timestamp) as modified_at,
        _loaded_at as loaded_at
    from source

),

final as (

    select * from renamed

)

select * from final
