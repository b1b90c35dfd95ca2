{{
    config(
        materialized='incremental',
        unique_key='sales_order_line_id',
        post_hook="{{ delete_keys_gone_from(ref('stg_operations__sales_order_detail'), 'sales_order_line_id') }}",
    )
}}

-- Grain: one sales order line. Incremental (macros/incremental_window.sql): re-processes every
-- line loaded since the last build (a new or changed line or order) plus lines modified within
-- the lookback window of the newest one already here; of those it writes the lines that are new
-- or differ from the built row (most of the window has not changed) and replaces them by key.

with

{{ incremental_watermarks() }}

order_lines as (

    select order_lines.*
    from {{ ref('int_sales_order_lines') }} as order_lines
    {{ incremental_filter(ref('int_sales_order_lines'), 'order_lines', 'sales_order_line_id') }}

),

keyed as (

    select
        sales_order_line_id,
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
        order_quantity,
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

),

final as (

    select keyed.*
    from keyed
    {{ changed_rows('keyed', 'sales_order_line_id', window=true) }}

)

select * from final
