{#- Incremental facts re-process every row loaded since the last build plus the rows modified
    within var('lookback_days') of the newest one already built (late status changes and
    corrections arrive), and replace them by key. Full builds render neither part. -#}

{#- The `watermarks` CTE, trailing comma included: open it right after `with`. -#}
{% macro incremental_watermarks() -%}
{%- if is_incremental() %}
watermarks as (

    select
        max(source_loaded_at) as loaded_at,
        {{ dbt.dateadd('day', -(var('lookback_days') | int), 'max(source_modified_at)') }}
            as modified_since
    from {{ this }}

),
{%- endif %}
{%- endmacro %}

{#- The filter on the rows (aliased `relation`) to re-process, after their `from`. -#}
{% macro incremental_filter(relation) -%}
{%- if is_incremental() %}
    cross join watermarks
    where
        watermarks.loaded_at is null
        or {{ relation }}.source_loaded_at > watermarks.loaded_at
        or {{ relation }}.source_modified_at >= watermarks.modified_since
{%- endif %}
{%- endmacro %}
