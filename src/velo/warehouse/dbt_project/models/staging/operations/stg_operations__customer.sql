with

source as (

    select * from {{ source('operations', 'customer') }}

),

renamed as (

    select
        cast(customerid as integer) as customer_id,
        cast(personid as integer) as person_id,
        cast(storeid as integer) as store_id,
        cast(modifieddate as timestamp) as modified_at,
        _loaded_at as loaded_at,
        -- computed in AdventureWorks (AW + 8 digits), absent from AdventureWorks-for-Postgres
        'AW' || lpad(cast(customerid as varchar), 8, '0') as account_number
    from source

),

final as (

    select * from renamed

)

select * from final
