{#- A key column: never NULL and never repeated (dbt's unique + not_null in one query, one test node).
    also_not_null: other columns that must never be NULL, checked in the same query.
    Fails with one row per repeated key value, one row for a NULL key, and one row per key whose row has
    a NULL in one of also_not_null. -#}
{% test unique_key(model, column_name, also_not_null=[]) %}

select
    {{ column_name }} as key_value,
    count(*) as rows_with_key
from {{ model }}
group by {{ column_name }}
having
    {{ column_name }} is null
    or count(*) > 1
    {%- for column in also_not_null %}
    or bool_or({{ column }} is null)
    {%- endfor %}

{% endtest %}
