{#- cast that yields null instead of failing on values that do not convert. -#}
{% macro try_cast(expression, data_type) -%}
    {{ return(adapter.dispatch('try_cast', 'velo_utils')(expression, data_type)) }}
{%- endmacro %}

{% macro default__try_cast(expression, data_type) -%}
    cast({{ expression }} as {{ data_type }})
{%- endmacro %}

{% macro duckdb__try_cast(expression, data_type) -%}
    try_cast({{ expression }} as {{ data_type }})
{%- endmacro %}

{% macro snowflake__try_cast(expression, data_type) -%}
    try_cast(cast({{ expression }} as varchar) as {{ data_type }})
{%- endmacro %}

{#- PostgreSQL has no try_cast: numbers are checked with a pattern first, others cast directly. -#}
{% macro postgres__try_cast(expression, data_type) -%}
    {%- if data_type | lower is match('^(int|integer|bigint|smallint|numeric|decimal|float|double|real)') -%}
    case
        when cast({{ expression }} as text) ~ '^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$'
            then cast({{ expression }} as {{ data_type }})
    end
    {%- else -%}
    cast({{ expression }} as {{ data_type }})
    {%- endif -%}
{%- endmacro %}

{#- ISO day of the week: 1 = Monday .. 7 = Sunday. -#}
{% macro day_of_week_iso(date_expression) -%}
    {{ return(adapter.dispatch('day_of_week_iso', 'velo_utils')(date_expression)) }}
{%- endmacro %}

{% macro default__day_of_week_iso(date_expression) -%}
    cast(extract(isodow from {{ date_expression }}) as integer)
{%- endmacro %}

{% macro snowflake__day_of_week_iso(date_expression) -%}
    cast(extract(dayofweekiso from {{ date_expression }}) as integer)
{%- endmacro %}
