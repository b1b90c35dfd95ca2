{{
    config(
        materialized='incremental',
        unique_key='work_order_id',
        post_hook="{{ delete_keys_gone_from(ref('int_work_orders'), 'work_order_id') }}",
    )
}}

-- Grain: one work order. Incremental (macros/incremental_window.sql): rows loaded since the
-- last build plus rows modified within the lookback window, replaced by key.

with

{{ incremental_watermarks() }}

work_orders as (

    select work_orders.*
    from {{ ref('int_work_orders') }} as work_orders
    {{ incremental_filter('work_orders', 'work_order_id') }}

),

final as (

    select
        work_order_id,
        product_id,
        product_key,
        start_date,
        end_date,
        due_date,
        order_quantity,
        stocked_quantity,
        scrapped_quantity,
        unit_cost,
        cost,
        scrap_cost,
        production_days,
        is_late,
        source_modified_at,
        source_loaded_at
    from work_orders

)

select * from final
