with

source as (

    select * from {{ source('operations', 'sales_reason') }}

),

renamed as (

    select
        cast(sales_reason_id as integer) as sales_reason_id,
        cast(name as varchar) as name,
        cast(reason_type as varchar) as reason_type,
        cast(modified_date as timestamp) as modified_at,
        _loaded_at as loaded_at
    from source

),

final as (

    select * from renamed

)

select * from final
