{{
    config(
        materialized='incremental',
        unique_key='sales_order_detail_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
    )
}}

-- Grain: one sales order line. Incremental: re-processes every line loaded since the last build
-- (a new or changed line or order) plus lines modified within the lookback window of the newest
-- one already here, and replaces them by key (late status changes and corrections arrive).

with

lines as (

    select * from {{ ref('int_sales_order_lines') }}
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
        sales_order_detail_id,
        sales_order_id,
        sales_order_number,
        ordered_at,
        order_date,
        due_date,
        ship_date,
        status_code,
        product_id,
        product_key,
        customer_id,
        {{ velo_utils.generate_surrogate_key(['customer_id']) }} as customer_key,
        ship_to_address_id,
        {{ velo_utils.generate_surrogate_key(['ship_to_address_id']) }} as ship_to_address_key,
        bill_to_address_id,
        {{ velo_utils.generate_surrogate_key(['bill_to_address_id']) }} as bill_to_address_key,
        credit_card_id,
        case
            when credit_card_id is not null
                then {{ velo_utils.generate_surrogate_key(['credit_card_id']) }}
        end as credit_card_key,
        is_online_order,
        quantity,
        unit_price,
        discount,
        revenue,
        unit_cost,
        cost,
        profit,
        margin,
        source_modified_at,
        source_loaded_at
    from lines

)

select * from final
