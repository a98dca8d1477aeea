{#- Schemas carry their exact names (staging, intermediate, marts, reference), not dbt's
    "<target schema>_<custom schema>" default: consumers and the publish step rely on them. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
