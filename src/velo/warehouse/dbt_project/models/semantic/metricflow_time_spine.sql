-- The day spine MetricFlow needs for metric_time (the time spine in semantic_models.yml).
{{ config(materialized='table') }}

select cast(date_day as date) as date_day
from (
    {{ dbt.date_spine("day", "cast('2000-01-01' as date)", "cast('2041-01-01' as date)") }}
) as spine
