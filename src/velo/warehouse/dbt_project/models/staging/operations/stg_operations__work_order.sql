with

source as (

    select * from {{ source('operations', 'workorder') }}

),

renamed as (

    select
        cast(workorderid as integer) as work_order_id,
        cast(productid as integer) as product_id,
        cast(orderqty as integer) as order_quantity,
        -- computed in AdventureWorks, absent from AdventureWorks-for-Postgres
        cast(orderqty - scrappedqty as integer) as stocked_quantity,
        cast(scrappedqty as integer) as scrapped_quantity,
        cast(startdate as timestamp) as started_at,
        cast(enddate as timestamp) as ended_at,
        cast(duedate as timestamp) as due_at,
        cast(modifieddate as timestamp) as modified_at,
        _loaded_at as loaded_at
    from source

),

final as (

    select * from renamed

)

select * from final
