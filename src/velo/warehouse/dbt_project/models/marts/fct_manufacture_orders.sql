{{
    config(
        materialized='incremental',
        unique_key='work_order_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
    )
}}

-- Grain: one work order. Incremental like fct_sales_order_lines: rows loaded since the last
-- build plus rows modified within the lookback window, replaced by key.

with

{% if is_incremental() %}

watermarks as (

    select
        max(source_loaded_at) as loaded_at,
        {{ dbt.dateadd('day', -(var('lookback_days') | int), 'max(source_modified_at)') }}
            as modified_since
    from {{ this }}

),

{% endif %}

work_orders as (

    select work_orders.*
    from {{ ref('int_work_orders') }} as work_orders
    {% if is_incremental() %}
    cross join watermarks
    where
        watermarks.loaded_at is null
        or work_orders.source_loaded_at > watermarks.loaded_at
        or work_orders.source_modified_at >= watermarks.modified_since
    {% endif %}

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
