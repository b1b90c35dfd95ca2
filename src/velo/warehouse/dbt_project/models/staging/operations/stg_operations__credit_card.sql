with

source as (

    select * from {{ source('operations', 'creditcard') }}

),

renamed as (

    select
        cast(creditcardid as integer) as credit_card_id,
        cast(cardtype as varchar) as card_type,
        {{ dbt.right('cast(cardnumber as varchar)', 4) }} as card_last_four,
        cast(expmonth as integer) as exp_month,
        cast(expyear as integer) as exp_year,
        cast(modifieddate as timestamp) as modified_at,
        _loaded_at as loaded_at
    from source

),

final as (

    select * from renamed

)

select * from final
