{#- ISO 3166-2 subdivision code ('US-CA', 'GB-ENG', 'AU-NSW') from a country code and the
    source's state/province code (which may be padded: 'CA ' -> 'US-CA'). -#}
{% macro iso_3166_2_code(country_code, state_code) -%}
    case
        when {{ country_code }} is not null and {{ state_code }} is not null
            then {{ dbt.concat(["upper(trim(" ~ country_code ~ "))", "'-'", "upper(trim(" ~ state_code ~ "))"]) }}
    end
{%- endmacro %}

{#- US state (or DC / territory) name -> ISO 3166-2 code; null for anything else. For sources
    that carry only the state's name. -#}
{% macro us_state_iso_code(state_name) -%}
    {%- set states = {
        'Alabama': 'AL', 'Alaska': 'AK', 'Arizona': 'AZ', 'Arkansas': 'AR', 'California': 'CA',
        'Colorado': 'CO', 'Connecticut': 'CT', 'Delaware': 'DE', 'District of Columbia': 'DC',
        'Florida': 'FL', 'Georgia': 'GA', 'Hawaii': 'HI', 'Idaho': 'ID', 'Illinois': 'IL',
        'Indiana': 'IN', 'Iowa': 'IA', 'Kansas': 'KS', 'Kentucky': 'KY', 'Louisiana': 'LA',
        'Maine': 'ME', 'Maryland': 'MD', 'Massachusetts': 'MA', 'Michigan': 'MI',
        'Minnesota': 'MN', 'Mississippi': 'MS', 'Missouri': 'MO', 'Montana': 'MT',
        'Nebraska': 'NE', 'Nevada': 'NV', 'New Hampshire': 'NH', 'New Jersey': 'NJ',
        'New Mexico': 'NM', 'New York': 'NY', 'North Carolina': 'NC', 'North Dakota': 'ND',
        'Ohio': 'OH', 'Oklahoma': 'OK', 'Oregon': 'OR', 'Pennsylvania': 'PA',
        'Rhode Island': 'RI', 'South Carolina': 'SC', 'South Dakota': 'SD', 'Tennessee': 'TN',
        'Texas': 'TX', 'Utah': 'UT', 'Vermont': 'VT', 'Virginia': 'VA', 'Washington': 'WA',
        'West Virginia': 'WV', 'Wisconsin': 'WI', 'Wyoming': 'WY', 'American Samoa': 'AS',
        'Guam': 'GU', 'Northern Mariana Islands': 'MP', 'Puerto Rico': 'PR',
        'Virgin Islands': 'VI', 'United States Minor Outlying Islands': 'UM'
    } -%}
    case trim({{ state_name }})
    {%- for name, code in states.items() %}
        when '{{ name | replace("'", "''") }}' then 'US-{{ code }}'
    {%- endfor %}
    end
{%- endmacro %}
