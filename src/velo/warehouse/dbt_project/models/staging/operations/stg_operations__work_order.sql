with

source as (

    select * from {{ source('operations', 'work_order') }}

),

renamed as (

    select
        cast(work_order_id as integer) as work_order_id,
        cast(product_id as integer) as product_id,
        cast(order_qty as integer) as order_quantity,
        cast(stocked_qty as integer) as stocked_quantity,
        cast(scrapped_qty as integer) as scrapped_quantity,
        cast(start_date as timestamp) as started_at,
        cast(end_date as timestamp) as ended_at,
        cast(due_date as timestamp) as due_at,
        cast(modified_date as timestamp) as modified_at,
        _loaded_at as loaded_at
    from source

),

final as (

    select * from renamed

)

select * from final
