with

source as (

    select * from {{ source('operations', 'customer') }}

),

renamed as (

    select
        cast(customer_id as integer) as customer_id,
        cast(person_id as integer) as person_id,
        cast(store_id as integer) as store_id,
        cast(account_number as varchar) as account_number,
        cast(modified_date as timestamp) as modified_at,
        _loaded_at as loaded_at
    from source

),

final as (

    select * from renamed

)

select * from final
