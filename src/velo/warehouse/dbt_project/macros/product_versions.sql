{#- For every (product_id, valid_from) boundary: the latest history row that started at or
    before it (recency = 1), the history's columns alongside. -#}
{% macro history_as_of(boundaries, history, columns) -%}
    select
        boundary.product_id,
        boundary.valid_from,
        {%- for column in columns %}
        history.{{ column }},
        {%- endfor %}
        row_number() over (
            partition by boundary.product_id, boundary.valid_from
            order by history.started_at desc
        ) as recency
    from {{ boundaries }} as boundary
    inner join {{ history }} as history
        on
            boundary.product_id = history.product_id
            and history.started_at <= boundary.valid_from
{%- endmacro %}

{#- Every history's first row per product (first = 1): what was valid before the history began. -#}
{% macro history_first(history, columns) -%}
    select
        product_id,
        {%- for column in columns %}
        {{ column }},
        {%- endfor %}
        row_number() over (partition by product_id order by started_at) as first
    from {{ history }}
{%- endmacro %}

{#- Join condition: the product version valid at instant `at` (valid_from <= at < valid_to). -#}
{% macro valid_version_at(versions, product_id, at) -%}
    {{ versions }}.product_id = {{ product_id }}
    and {{ versions }}.valid_from <= {{ at }}
    and ({{ versions }}.valid_to is null or {{ at }} < {{ versions }}.valid_to)
{%- endmacro %}

{#- English month name of a month number (portable: no locale-dependent date formatting). -#}
{% macro month_name(month_number) -%}
    case {{ month_number }}
    {%- for name in ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August',
                     'September', 'October', 'November', 'December'] %}
        when {{ loop.index }} then '{{ name }}'
    {%- endfor %}
    end
{%- endmacro %}
