with

source as (

    select * from {{ source('operations', 'sales_order_header') }}

),

renamed as (

    select
        cast(sales_order_id as integer) as sales_order_id,
        cast(revision_number as integer) as revision_number,
        cast(order_date as timestamp) as ordered_at,
        cast(due_date as timestamp) as due_at,
        cast(ship_date as timestamp) as shipped_at,
        cast(status as integer) as status_code,
        cast(online_order_flag as boolean) as is_online_order,
        cast(sales_order_number as varchar) as sales_order_number,
        cast(customer_id as integer) as customer_id,
        cast(bill_to_address_id as integer) as bill_to_address_id,
        cast(ship_to_address_id as integer) as ship_to_address_id,
        cast(credit_card_id as integer) as credit_card_id,
        cast(sub_total as numeric(19, 4)) as sub_total,
        cast(tax_amt as numeric(19, 4)) as tax_amt,
        cast(freight as numeric(19, 4)) as freight,
        cast(total_due as numeric(19, 4)) as total_due,
        cast(modified_date as timestamp) as modified_at,
        _loaded_at as loaded_at
    from source

),

final as (

    select * from renamed

)

select * from final
