-- Every order line in raw is in fct_sales_order_lines exactly once, and nothing else is.

with

counts as (

    select
        (select count(*) from {{ ref('fct_sales_order_lines') }}) as fact_lines,
        (
            select count(distinct salesorderdetailid)
            from {{ source('operations', 'salesorderdetail') }}
        ) as raw_lines

)

select *
from counts
where fact_lines <> raw_lines
