-- Reconciliation with the source: for every order date, the revenue of fct_sales_order_lines
-- (all statuses) equals the sum of the line totals in raw for that date. Lines are never
-- dropped, so the days (including lines whose order is missing: date null) match one to one.
-- Tolerance: half a unit of the 4th decimal per line, for the source's own rounding.
-- Fails with the offending days.

with

fact as (

    select
        order_date,
        sum(revenue) as revenue,
        count(*) as lines
    from {{ ref('fct_sales_order_lines') }}
    group by order_date

),

raw_lines as (

    select
        cast(header.order_date as date) as order_date,
        sum(detail.line_total) as line_total,
        count(*) as lines
    from {{ source('operations', 'sales_order_detail') }} as detail
    left join {{ source('operations', 'sales_order_header') }} as header
        on detail.sales_order_id = header.sales_order_id
    group by cast(header.order_date as date)

)

select
    coalesce(fact.order_date, raw_lines.order_date) as order_date,
    fact.revenue as fact_revenue,
    raw_lines.line_total as raw_line_total
from fact
full outer join raw_lines
    on fact.order_date = raw_lines.order_date
    or (fact.order_date is null and raw_lines.order_date is null)
where
    fact.revenue is null
    or raw_lines.line_total is null
    or abs(fact.revenue - raw_lines.line_total) > 0.00005 * raw_lines.lines + 0.00001
