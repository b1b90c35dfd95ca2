-- Hourly exchange rates (base EUR), one row per hour and quote currency.

with

rates as (

    select * from {{ ref('int_fx_rates__hourly') }}

),

final as (

    select
        rate_hour,
        base_currency,
        quote_currency,
        rate,
        1.0 / nullif(rate, 0) as inverse_rate
    from rates

)

select * from final
order by rate_hour, quote_currency
