{#- A stable surrogate key: md5 of the fields as text, nulls replaced by a marker, joined with '-'.
    Same idea as dbt_utils.generate_surrogate_key, built on dbt's cross-database macros. -#}
{% macro generate_surrogate_key(field_list) -%}
    {%- set null_marker = "'_velo_null_'" -%}
    {%- set parts = [] -%}
    {%- for field in field_list -%}
        {%- do parts.append(
            "coalesce(cast(" ~ field ~ " as " ~ dbt.type_string() ~ "), " ~ null_marker ~ ")"
        ) -%}
        {%- if not loop.last %}{% do parts.append("'-'") %}{% endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}
