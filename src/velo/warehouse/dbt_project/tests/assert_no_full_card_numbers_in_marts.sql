-- No text column of any mart holds something shaped like a full card number (13-19 digits).

{% set checks = [
    ('dim_credit_card', 'card_last_four'),
    ('obt_sales_order_lines', 'sales_order_number'),
    ('dim_customer', 'account_number'),
] %}

{% for model, column in checks %}
select '{{ model }}.{{ column }}' as found_in
from {{ ref(model) }}
where {{ velo_utils.regexp_matches(column, "'[0-9]{13,19}'") }}
{% if not loop.last %}union all{% endif %}
{% endfor %}
