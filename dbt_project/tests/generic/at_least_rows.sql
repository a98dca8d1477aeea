{#- Fails when the model has fewer than min_rows rows (an empty mart is a broken build). -#}
{% test at_least_rows(model, min_rows=1) %}

select count(*) as row_count
from {{ model }}
having count(*) < {{ min_rows }}

{% endtest %}
