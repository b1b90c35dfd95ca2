-- One row per customer: a store (reseller) or an individual; its name and current address.

with

customers as (

    select * from {{ ref('stg_operations__customer') }}

),

people as (

    select * from {{ ref('stg_operations__person') }}

),

stores as (

    select * from {{ ref('stg_operations__store') }}

),

final as (

    select
        {{ velo_utils.generate_surrogate_key(['customers.customer_id']) }} as customer_key,
        customers.customer_id,
        customers.account_number,
        case when customers.store_id is not null then 'store' else 'individual' end
            as customer_type,
        coalesce(
            stores.name, {{ dbt.concat(['people.first_name', "' '", 'people.last_name']) }}
        ) as customer_name,
        customers.person_id,
        customers.store_id,
        customers.modified_at
    from customers
    left join people
        on customers.person_id = people.business_entity_id
    left join stores
        on customers.store_id = stores.business_entity_id

)

select * from final
