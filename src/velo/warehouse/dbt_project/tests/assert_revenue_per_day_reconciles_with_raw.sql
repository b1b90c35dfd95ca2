-- Reconciliation with the source: for every order date, the revenue of fct_sales_order_lines
-- (all statuses) equals the sum of the line totals in raw for that date (AdventureWorks'
-- LineTotal definition, computed from raw: a native AdventureWorks database has no such column).
-- Lines are never dropped, so the days (including lines whose order is missing: keyed on a
-- sentinel day so the days join with plain equality) match one to one.
-- Tolerance per line: half a cent per unit (sources may store unit prices rounded to the cent
-- while their line totals come from the unrounded price, e.g. the AdventureWorks export) plus
-- half a unit of the 4th decimal. Returns the offending days.

with

fact as (

    select
        coalesce(order_date, cast('1900-01-01' as date)) as order_day,
        sum(revenue) as revenue,
        sum(0.005 * abs(order_quantity) + 0.00005) as tolerance
    from {{ ref('fct_sales_order_lines') }}
    group by coalesce(order_date, cast('1900-01-01' as date))

),

raw_lines as (

    select
        coalesce(cast(header.orderdate as date), cast('1900-01-01' as date)) as order_day,
        sum(detail.unitprice * (1 - detail.unitpricediscount) * detail.orderqty) as line_total
    from {{ source('operations', 'salesorderdetail') }} as detail
    left join {{ source('operations', 'salesorderheader') }} as header
        on detail.salesorderid = header.salesorderid
    group by coalesce(cast(header.orderdate as date), cast('1900-01-01' as date))

)

select
    coalesce(fact.order_day, raw_lines.order_day) as order_day,
    fact.revenue as fact_revenue,
    raw_lines.line_total as raw_line_total
from fact
full outer join raw_lines
    on fact.order_day = raw_lines.order_day
where
    fact.revenue is null
    or raw_lines.line_total is null
    or abs(fact.revenue - raw_lines.line_total) > fact.tolerance
