select quote, rate from {{ source('raw', 'fx_rates') }}
