{#- Rows where the column is negative (nulls pass: not_null tests those). -#}
{% test non_negative(model, column_name) %}
select *
from {{ model }}
where {{ column_name }} < 0
{% endtest %}

{#- Rows whose text length is outside [min_length, max_length]. -#}
{% test string_length_between(model, column_name, min_length, max_length) %}
select *
from {{ model }}
where {{ dbt.length(column_name) }} < {{ min_length }}
   or {{ dbt.length(column_name) }} > {{ max_length }}
{% endtest %}

{#- Rows where the column is zero or negative (nulls pass: not_null tests those). -#}
{% test positive(model, column_name) %}
select *
from {{ model }}
where {{ column_name }} <= 0
{% endtest %}

{#- Rows where the column falls outside [min_value, max_value] (either bound optional), or
    [min_value, max_value) with max_exclusive. -#}
{% test value_between(model, column_name, min_value=none, max_value=none, max_exclusive=false) %}
select *
from {{ model }}
where
    {%- if min_value is not none %} {{ column_name }} < {{ min_value }}{% endif %}
    {%- if min_value is not none and max_value is not none %} or{% endif %}
    {%- if max_value is not none %} {{ column_name }} {{ '>=' if max_exclusive else '>' }} {{ max_value }}{% endif %}
{% endtest %}

{#- Rows where a text column does not match a regular expression (portable via dispatch). -#}
{% test matches_pattern(model, column_name, pattern) %}
select *
from {{ model }}
where {{ column_name }} is not null
  and not {{ velo_utils.regexp_matches(column_name, "'" ~ pattern ~ "'") }}
{% endtest %}

{#- Rows where valid_from >= valid_to (an SCD2 interval that is empty or reversed). -#}
{% test valid_interval(model, column_name, valid_to) %}
select *
from {{ model }}
where {{ valid_to }} is not null and {{ column_name }} >= {{ valid_to }}
{% endtest %}

{#- Keys whose SCD2 intervals overlap: two versions of one entity valid at the same instant. -#}
{% test no_overlapping_intervals(model, column_name, valid_from, valid_to) %}
select a.{{ column_name }}, a.{{ valid_from }} as first_valid_from, b.{{ valid_from }} as second_valid_from
from {{ model }} as a
inner join {{ model }} as b
    on a.{{ column_name }} = b.{{ column_name }}
    and a.{{ valid_from }} < b.{{ valid_from }}
    and (a.{{ valid_to }} is null or a.{{ valid_to }} > b.{{ valid_from }})
{% endtest %}

{#- Each group has exactly one row where the flag is true (e.g. one current SCD2 version). -#}
{% test exactly_one_true_per_group(model, column_name, group_by) %}
select {{ group_by }}, sum(case when {{ column_name }} then 1 else 0 end) as true_rows
from {{ model }}
group by {{ group_by }}
having sum(case when {{ column_name }} then 1 else 0 end) <> 1
{% endtest %}

{#- The model is not empty. -#}
{% test not_empty(model) %}
select 1 as empty_model
from (select count(*) as row_count from {{ model }}) as counted
where row_count = 0
{% endtest %}

{#- Combinations of the columns that occur more than once (a composite primary key). -#}
{% test unique_combination(model, combination_of_columns) %}
select {{ combination_of_columns | join(', ') }}, count(*) as occurrences
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1
{% endtest %}
