{{ config(store_failures=true) }}

-- Every order line finds exactly one product version valid at its order's instant. Lines that
-- find none (unknown product, or ordered before the product existed) or several are returned
-- with their keys and fail the build (an error: the line's cost and category would be wrong).

with

lines as (

    select
        sales_order_line_id,
        product_id,
        ordered_at
    from {{ ref('fct_sales_order_lines') }}

),

versions as (

    select
        product_id,
        valid_from,
        valid_to
    from {{ ref('dim_product') }}

),

matched as (

    select
        lines.sales_order_line_id,
        lines.product_id,
        lines.ordered_at,
        count(versions.product_id) as versions_found
    from lines
    left join versions
        on {{ valid_version_at('versions', 'lines.product_id', 'lines.ordered_at') }}
    group by lines.sales_order_line_id, lines.product_id, lines.ordered_at

)

select *
from matched
where versions_found <> 1
