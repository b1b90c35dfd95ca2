-- US dollars per euro for each day with rates: the day's mean hourly rate (the definition the
-- eur_usd_rate metric and the EUR views use). valid_to is the next day with rates, so a day
-- without rates carries the previous day's rate forward; days before the first rate use the
-- first one (valid_from null). EUR amount = USD amount / usd_per_eur.

with

hourly as (

    select * from {{ ref('int_fx_rates__hourly') }}
    where base_currency = 'EUR' and quote_currency = 'USD'

),

daily as (

    select
        cast(rate_hour as date) as rate_date,
        avg(rate) as usd_per_eur
    from hourly
    group by cast(rate_hour as date)

),

final as (

    select
        rate_date,
        usd_per_eur,
        case
            when rate_date > min(rate_date) over () then rate_date
        end as valid_from,
        lead(rate_date) over (order by rate_date) as valid_to
    from daily

)

select * from final
