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
