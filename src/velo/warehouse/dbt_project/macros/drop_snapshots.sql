{#- `dbt run-operation drop_snapshots`: drop this project's snapshot tables, so the next build
    creates them again from the source as it is. For a warehouse switched to another operations
    source (velo.warehouse.rebuild): a snapshot keeps every version it ever saw, and
    --full-refresh does not rebuild snapshots. Each drop is committed (run-operation does not). -#}
{% macro drop_snapshots() -%}
{%- if execute -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'snapshot' and node.package_name == project_name -%}
        {%- set relation = adapter.get_relation(
            database=node.database, schema=node.schema, identifier=node.alias
        ) -%}
        {%- if relation is not none -%}
            {%- call statement('drop_snapshot', auto_begin=True) -%}
                {{ get_drop_sql(relation) }}
            {%- endcall -%}
            {%- do adapter.commit() -%}
            {%- do log('dropped snapshot ' ~ relation, info=true) -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif -%}
{%- endmacro %}
