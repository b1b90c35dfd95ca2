-- SCD2: one row per product version (int_product_versions) with its subcategory and category.

with

versions as (

    select * from {{ ref('int_product_versions') }}

),

subcategories as (

    select * from {{ ref('stg_operations__product_subcategory') }}

),

categories as (

    select * from {{ ref('stg_operations__product_category') }}

),

final as (

    select
        versions.product_key,
        versions.product_id,
        versions.name as product_name,
        versions.product_number,
        versions.color,
        versions.size,
        versions.product_subcategory_id,
        subcategories.name as subcategory_name,
        subcategories.product_category_id,
        categories.name as category_name,
        versions.list_price,
        versions.standard_cost,
        versions.valid_from,
        versions.valid_to,
        versions.sell_start_at,
        versions.sell_end_at,
        versions.valid_to is null as is_current
    from versions
    left join subcategories
        on versions.product_subcategory_id = subcategories.product_subcategory_id
    left join categories
        on subcategories.product_category_id = categories.product_category_id

)

select * from final
