-- Work orders with the product version valid when production started (its standard cost).
-- Production may start before a product goes on sale (before its first version): such work
-- orders take the first version.

with

work_orders as (

    select * from {{ ref('stg_operations__work_order') }}

),

product_versions as (

    select * from {{ ref('int_product_versions') }}

),

first_versions as (

    select
        product_id,
        min(valid_from) as first_valid_from
    from product_versions
    group by product_id

),

dated as (

    select
        work_orders.*,
        case
            when work_orders.started_at < first_versions.first_valid_from
                then first_versions.first_valid_from
            else work_orders.started_at
        end as version_at
    from work_orders
    left join first_versions
        on work_orders.product_id = first_versions.product_id

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
    from dated as work_orders
    left join product_versions
        on {{ valid_version_at(
            'product_versions', 'work_orders.product_id', 'work_orders.version_at'
        ) }}

)

select * from final
