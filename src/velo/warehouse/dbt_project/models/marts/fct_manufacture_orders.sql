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

work_orders as (

    select * from {{ ref('int_work_orders') }}
    {% if is_incremental() %}
        where
            source_loaded_at > (select max(source_loaded_at) from {{ this }})
            or source_modified_at >= (
                select {{ dbt.dateadd('day', -var('lookback_days'), 'max(source_modified_at)') }}
                from {{ this }}
            )
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
