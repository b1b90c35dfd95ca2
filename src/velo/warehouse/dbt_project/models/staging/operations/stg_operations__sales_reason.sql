with

source as (

    select * from {{ source('operations', 'salesreason') }}

),

renamed as (

    select
        cast(salesreasonid as integer) as sales_reason_id,
        cast(name as varchar) as name,
        cast(reasontype as varchar) as reason_type,
        cast(modifieddate as timestamp) as modified_at,
        _loaded_at as loaded_at
    from source

),

final as (

    select * from renamed

)

select * from final
