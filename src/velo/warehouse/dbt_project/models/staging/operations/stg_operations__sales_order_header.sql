with

source as (

    select * from {{ source('operations', 'salesorderheader') }}

),

renamed as (

    select
        cast(salesorderid as integer) as sales_order_id,
        cast(revisionnumber as integer) as revision_number,
        cast(orderdate as timestamp) as ordered_at,
        cast(duedate as timestamp) as due_at,
        cast(shipdate as timestamp) as shipped_at,
        cast(status as integer) as status_code,
        cast(onlineorderflag as boolean) as is_online_order,
        cast(customerid as integer) as customer_id,
        cast(billtoaddressid as integer) as bill_to_address_id,
        cast(shiptoaddressid as integer) as ship_to_address_id,
        cast(creditcardid as integer) as credit_card_id,
        cast(subtotal as numeric(19, 4)) as sub_total,
        cast(taxamt as numeric(19, 4)) as tax_amt,
        cast(freight as numeric(19, 4)) as freight,
        cast(totaldue as numeric(19, 4)) as total_due,
        cast(modifieddate as timestamp) as modified_at,
        _loaded_at as loaded_at,
        -- computed in AdventureWorks (SO + id), absent from AdventureWorks-for-Postgres
        'SO' || cast(salesorderid as varchar) as sales_order_number
    from source

),

final as (

    select * from renamed

)

select * from final
