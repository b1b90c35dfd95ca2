with

source as (

    select * from {{ source('operations', 'salesorderheadersalesreason') }}

),

renamed as (

    select
        cast(salesorderid as integer) as sales_order_id,
        cast(salesreasonid as integer) as sales_reason_id,
        cast(modifieddate as timestamp) as modified_at,
        _loaded_at as loaded_at
    from source

),

final as (

    select * from renamed

)

select * from final
