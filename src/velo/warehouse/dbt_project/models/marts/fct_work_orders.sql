{{
    config(
        materialized='incremental',
        unique_key='work_order_id',
        post_hook="{{ delete_keys_gone_from(ref('stg_operations__work_order'), 'work_order_id') }}",
    )
}}

-- Grain: one work order. Incremental (macros/incremental_window.sql): rows loaded since the
-- last build plus rows modified within the lookback window; those new or differing from the
-- built row are replaced by key.

with

{{ incremental_watermarks() }}

work_orders as (

    select work_orders.*
    from {{ ref('int_work_orders') }} as work_orders
    {{ incremental_filter(ref('int_work_orders'), 'work_orders', 'work_order_id') }}

),

selected as (

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

),

final as (

    select selected.*
    from selected
    {{ changed_rows('selected', 'work_order_id', window=true) }}

)

select * from final
