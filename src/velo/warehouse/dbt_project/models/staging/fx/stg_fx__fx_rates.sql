with

source as (

    select * from {{ source('fx', 'fx_rates') }}

),

renamed as (

    select
        cast(rate_timestamp as bigint) as rate_timestamp,
        cast(rate_at as timestamp) as rate_at,
        cast(base as varchar) as base_currency,
        cast(quote as varchar) as quote_currency,
        cast(rate as double precision) as rate,
        _loaded_at as loaded_at
    from source

),

final as (

    select * from renamed

)

select * from final
