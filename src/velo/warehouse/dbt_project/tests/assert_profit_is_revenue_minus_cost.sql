-- profit = revenue - cost and cost = quantity x unit cost, on every line of the fact.

select
    sales_order_line_id,
    revenue,
    cost,
    profit
from {{ ref('fct_sales_order_lines') }}
where
    profit <> revenue - cost
    or cost <> order_quantity * unit_cost
