-- The revenue definition: only rejected (4) and cancelled (6) orders are excluded.

select
    status_code,
    is_revenue_status
from {{ ref('obt_sales_order_lines') }}
where is_revenue_status <> (status_code not in (4, 6))
