-- Work orders with the product version valid when production started (its standard cost).

with

work_orders as (

    select * from {{ ref('stg_operations__work_order') }}

),

product_versions as (

    select * from {{ ref('int_product_versions') }}

),

final as (

    select
        work_orders.work_order_id,
        work_orders.product_id,
        product_versions.product_key,
        work_orders.started_at,
        cast(work_orders.started_at as date) as start_date,
        cast(work_orders.ended_at as date) as end_date,
        cast(work_orders.due_at as date) as due_date,
        work_orders.order_quantity,
        work_orders.stocked_quantity,
        work_orders.scrapped_quantity,
        product_versions.standard_cost as unit_cost,
        cast(work_orders.order_quantity * product_versions.standard_cost as numeric(19, 4)) as cost,
        cast(
            work_orders.scrapped_quantity * product_versions.standard_cost as numeric(19, 4)
        ) as scrap_cost,
        cast(
            {{ dbt.datediff('work_orders.started_at', 'work_orders.ended_at', 'day') }} as integer
        ) as production_days,
        coalesce(work_orders.ended_at > work_orders.due_at, false) as is_late,
        work_orders.modified_at as source_modified_at,
        work_orders.loaded_at as source_loaded_at
    from work_orders
    left join product_versions
        on {{ valid_version_at(
            'product_versions', 'work_orders.product_id', 'work_orders.started_at'
        ) }}

)

select * from final
