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

{% if is_incremental() %}

watermarks as (

    select
        max(source_loaded_at) as loaded_at,
        {{ dbt.dateadd('day', -(var('lookback_days') | int), 'max(source_modified_at)') }}
            as modified_since
    from {{ this }}

),

{% endif %}

order_lines as (

    select order_lines.*
    from {{ ref('int_sales_order_lines') }} as order_lines
    {% if is_incremental() %}
    cross join watermarks
    where
        watermarks.loaded_at is null
        or order_lines.source_loaded_at > watermarks.loaded_at
        or order_lines.source_modified_at >= watermarks.modified_since
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
    from order_lines

)

select * from final
