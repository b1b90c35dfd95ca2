{{ config(materialized='table') }}

-- One row per product version: the snapshot's versions (name, subcategory) combined with the
-- source's list-price and cost histories, so orders placed before the first snapshot still find
-- the price and cost valid then. Consecutive versions with identical attributes are merged, so
-- the versions do not depend on when builds happened to run.

with

products as (

    select * from {{ ref('stg_operations__product') }}

),

snapshot as (

    select
        product_id,
        name,
        product_subcategory_id,
        dbt_valid_from as started_at
    from {{ ref('snp_operations__product') }}

),

list_prices as (

    select
        product_id,
        started_at,
        list_price
    from {{ ref('stg_operations__product_list_price_history') }}

),

standard_costs as (

    select
        product_id,
        started_at,
        standard_cost
    from {{ ref('stg_operations__product_cost_history') }}

),

boundaries as (

    select
        product_id,
        sell_start_at as valid_from
    from products
    union
    select
        product_id,
        started_at
    from list_prices
    union
    select
        product_id,
        started_at
    from standard_costs
    union
    select
        product_id,
        started_at
    from snapshot

),

list_price_as_of as (

    {{ history_as_of('boundaries', 'list_prices', ['list_price']) }}

),

standard_cost_as_of as (

    {{ history_as_of('boundaries', 'standard_costs', ['standard_cost']) }}

),

snapshot_as_of as (

    {{ history_as_of('boundaries', 'snapshot', ['name', 'product_subcategory_id']) }}

),

first_list_price as (

    {{ history_first('list_prices', ['list_price']) }}

),

first_standard_cost as (

    {{ history_first('standard_costs', ['standard_cost']) }}

),

first_snapshot as (

    {{ history_first('snapshot', ['name', 'product_subcategory_id']) }}

),

versions as (

    select
        boundaries.product_id,
        boundaries.valid_from,
        case
            when snapshot_as_of.product_id is not null then snapshot_as_of.name
            when first_snapshot.product_id is not null then first_snapshot.name
            else products.name
        end as name,
        case
            when snapshot_as_of.product_id is not null then snapshot_as_of.product_subcategory_id
            when first_snapshot.product_id is not null then first_snapshot.product_subcategory_id
            else products.product_subcategory_id
        end as product_subcategory_id,
        coalesce(
            list_price_as_of.list_price, first_list_price.list_price, products.list_price
        ) as list_price,
        coalesce(
            standard_cost_as_of.standard_cost,
            first_standard_cost.standard_cost,
            products.standard_cost
        ) as standard_cost
    from boundaries
    inner join products
        on boundaries.product_id = products.product_id
    left join list_price_as_of
        on
            boundaries.product_id = list_price_as_of.product_id
            and boundaries.valid_from = list_price_as_of.valid_from
            and list_price_as_of.recency = 1
    left join standard_cost_as_of
        on
            boundaries.product_id = standard_cost_as_of.product_id
            and boundaries.valid_from = standard_cost_as_of.valid_from
            and standard_cost_as_of.recency = 1
    left join snapshot_as_of
        on
            boundaries.product_id = snapshot_as_of.product_id
            and boundaries.valid_from = snapshot_as_of.valid_from
            and snapshot_as_of.recency = 1
    left join first_list_price
        on
            boundaries.product_id = first_list_price.product_id
            and first_list_price.first = 1
    left join first_standard_cost
        on
            boundaries.product_id = first_standard_cost.product_id
            and first_standard_cost.first = 1
    left join first_snapshot
        on
            boundaries.product_id = first_snapshot.product_id
            and first_snapshot.first = 1

),

lagged as (

    select
        versions.*,
        lag(versions.name) over (
            partition by versions.product_id order by versions.valid_from
        ) as previous_name,
        lag(versions.product_subcategory_id) over (
            partition by versions.product_id order by versions.valid_from
        ) as previous_subcategory_id,
        lag(versions.list_price) over (
            partition by versions.product_id order by versions.valid_from
        ) as previous_list_price,
        lag(versions.standard_cost) over (
            partition by versions.product_id order by versions.valid_from
        ) as previous_standard_cost,
        row_number() over (
            partition by versions.product_id order by versions.valid_from
        ) as version_number
    from versions

),

changes as (

    select *
    from lagged
    where
        version_number = 1
        or previous_name is distinct from name
        or previous_subcategory_id is distinct from product_subcategory_id
        or previous_list_price is distinct from list_price
        or previous_standard_cost is distinct from standard_cost

),

final as (

    select
        {{ velo_utils.generate_surrogate_key(['changes.product_id', 'changes.valid_from']) }}
            as product_key,
        changes.product_id,
        changes.valid_from,
        lead(changes.valid_from) over (
            partition by changes.product_id order by changes.valid_from
        ) as valid_to,
        changes.name,
        changes.product_subcategory_id,
        changes.list_price,
        changes.standard_cost,
        products.product_number,
        products.color,
        products.size,
        products.sell_start_at,
        products.sell_end_at
    from changes
    inner join products
        on changes.product_id = products.product_id

)

select * from final
