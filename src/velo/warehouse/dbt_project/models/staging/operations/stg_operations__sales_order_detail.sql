with

source as (

    select * from {{ source('operations', 'salesorderdetail') }}

),

renamed as (

    select
        cast(salesorderdetailid as integer) as sales_order_line_id,
        cast(salesorderid as integer) as sales_order_id,
        cast(orderqty as integer) as order_quantity,
        cast(productid as integer) as product_id,
        cast(unitprice as numeric(19, 4)) as unit_price,
        cast(unitpricediscount as numeric(19, 4)) as discount_rate,
        -- computed in AdventureWorks, absent from AdventureWorks-for-Postgres
        cast(unitprice * (1 - unitpricediscount) * orderqty as numeric(19, 4)) as line_total,
        cast(modifieddate as timestamp) as modified_at,
        _loaded_at as loaded_at
    from source

),

final as (

    select * from renamed

)

select * from final
