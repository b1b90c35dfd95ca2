with

source as (

    select * from {{ source('operations', 'credit_card') }}

),

renamed as (

    select
        cast(credit_card_id as integer) as credit_card_id,
        cast(card_type as varchar) as card_type,
        {{ dbt.right('cast(card_number as varchar)', 4) }} as card_last_four,
        cast(exp_month as integer) as exp_month,
        cast(exp_year as integer) as exp_year,
        cast(modified_date as timestamp) as modified_at,
        _loaded_at as loaded_at
    from source

),

final as (

    select * from renamed

)

select * from final
