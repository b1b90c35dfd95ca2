select quote, avg(rate) as rate from {{ ref('stg_rates') }} group by quote
