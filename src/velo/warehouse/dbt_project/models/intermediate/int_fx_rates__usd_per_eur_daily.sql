-- US dollars per euro for each day with rates: the day's last hourly rate. Converts the USD
-- marts into EUR views (EUR amount = USD amount / usd_per_eur).

with

hourly as (

    select * from {{ ref('int_fx_rates__hourly') }}
    where base_currency = 'EUR' and quote_currency = 'USD'

),

ranked as (

    select
        cast(rate_hour as date) as rate_date,
        rate as usd_per_eur,
        row_number() over (partition by cast(rate_hour as date) order by rate_hour desc) as recency
    from hourly

),

final as (

    select
        rate_date,
        usd_per_eur
    from ranked
    where recency = 1

)

select * from final
