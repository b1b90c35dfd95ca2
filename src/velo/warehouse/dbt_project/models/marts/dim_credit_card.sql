-- One row per credit card: type, expiry and the last four digits only (the full number never
-- leaves raw: staging already keeps only the last four).

with

cards as (

    select * from {{ ref('stg_operations__credit_card') }}

),

final as (

    select
        {{ velo_utils.generate_surrogate_key(['credit_card_id']) }} as credit_card_key,
        credit_card_id,
        card_type,
        card_last_four,
        exp_month,
        exp_year
    from cards

)

select * from final
