with

source as (

    select * from {{ source('operations', 'person') }}

),

renamed as (

    select
        cast(businessentityid as integer) as business_entity_id,
        cast(firstname as varchar) as first_name,
        cast(lastname as varchar) as last_name,
        cast(modifieddate as timestamp) as modified_at,
        _loaded_at as loaded_at,
        trim(cast(persontype as varchar)) as person_type
    from source

),

final as (

    select * from renamed

)

select * from final
