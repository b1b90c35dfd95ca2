with

source as (

    select * from {{ source('operations', 'product_cost_history') }}

),

renamed as (

    select
        cast(product_id as integer) as product_id,
        cast(start_date as timestamp) as started_at,
        cast(end_date as timestamp) as ended_at,
        cast(standard_cost as numeric(19, 4)) as standard_cost,
        cast(modified_date as timestamp) as modified_at,
        _loaded_at as loaded_at
    from source

),

final as (

    select * from renamed

)

select * from final
