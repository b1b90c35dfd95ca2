-- One rate per (hour, base, quote): the latest loaded value wins when an hour arrived twice.

with

rates as (

    select * from {{ ref('stg_fx__fx_rates') }}

),

ranked as (

    select
        {{ dbt.date_trunc('hour', 'rate_at') }} as rate_hour,
        base_currency,
        quote_currency,
        rate,
        loaded_at,
        row_number() over (
            partition by {{ dbt.date_trunc('hour', 'rate_at') }}, base_currency, quote_currency
            order by rate_at desc, loaded_at desc
        ) as recency
    from rates

),

final as (

    select
        rate_hour,
        base_currency,
        quote_currency,
        rate,
        loaded_at
    from ranked
    where recency = 1

)

select * from final
