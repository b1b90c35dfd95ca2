-- The six order statuses and whether their orders count as revenue (not rejected/cancelled).

with

statuses as (

    select * from {{ ref('order_statuses') }}

),

final as (

    select
        cast(status_code as integer) as status_code,
        cast(status_name as varchar) as status_name,
        cast(is_revenue_status as boolean) as is_revenue_status
    from statuses

)

select * from final
