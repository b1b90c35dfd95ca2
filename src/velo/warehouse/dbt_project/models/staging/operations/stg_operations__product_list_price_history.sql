with

source as (

    select * from {{ source('operations', 'product_list_price_history') }}

),

renamed as (

    select
        cast(product_id as integer) as product_id,
        cast(start_date as timestamp) as started_at,
        cast(end_date as timestamp) as ended_at,
        cast(list_price as numeric(19, 4)) as list_price,
        cast(modified_date as timestamp) as modified_at,
        _loaded_at as loaded_at
    from source

),

final as (

    select * from renamed

)

select * from final
