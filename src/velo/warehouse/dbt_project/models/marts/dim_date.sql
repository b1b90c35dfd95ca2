-- One row per day from the earliest to the latest business date in raw, plus a year ahead.

{%- set business_days -%}
select cast(ordered_at as date) as business_day
from {{ ref('stg_operations__sales_order_header') }}
union all
select cast(started_at as date) as business_day
from {{ ref('stg_operations__work_order') }}
{%- endset -%}

{%- set first_day -%}
(select coalesce(min(business_day), cast('2010-01-01' as date)) from ({{ business_days }}) as days)
{%- endset -%}

{%- set last_day -%}
(
    select {{ dbt.dateadd('day', 366, "coalesce(max(business_day), cast('2010-01-01' as date))") }}
    from ({{ business_days }}) as days
)
{%- endset %}

with

spine as (

    {{ dbt.date_spine('day', first_day, last_day) }}

),

days as (

    select cast(date_day as date) as date_day
    from spine

),

final as (

    select
        date_day,
        cast(extract(year from date_day) as integer) as year_number,
        cast(extract(quarter from date_day) as integer) as quarter_number,
        cast(extract(month from date_day) as integer) as month_number,
        {{ month_name('extract(month from date_day)') }} as month_name,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start,
        cast(extract(day from date_day) as integer) as day_of_month,
        {{ velo_utils.day_of_week_iso('date_day') }} as day_of_week,
        {{ velo_utils.day_of_week_iso('date_day') }} in (6, 7) as is_weekend
    from days

)

select * from final
