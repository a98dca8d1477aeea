{#- Calendar features are computed on the Europe/Paris wall-clock time of an instant (DESIGN §2: UTC
    in storage, Europe/Paris for people and calendar features). DuckDB's timezone() with ICU applies
    the right offset on each side of the daylight-saving changes. -#}
{% macro local_time(ts) -%}
    timezone('{{ var("timezone") }}', {{ ts }})
{%- endmacro %}

{#- Saturday or Sunday in Paris -#}
{% macro is_weekend(ts) -%}
    (isodow({{ local_time(ts) }}) in (6, 7))
{%- endmacro %}

{#- April to September in Paris -#}
{% macro is_summer(ts) -%}
    (month({{ local_time(ts) }}) between 4 and 9)
{%- endmacro %}

{#- Marseille's eight sectors (mairies de secteur): 1 = 1er+7e, 2 = 2e+3e, 3 = 4e+5e, 4 = 6e+8e,
    5 = 9e+10e, 6 = 11e+12e, 7 = 13e+14e, 8 = 15e+16e. -#}
{% macro sector_of(arrondissement) -%}
    case
        when {{ arrondissement }} in (1, 7) then 1
        when {{ arrondissement }} in (2, 3) then 2
        when {{ arrondissement }} in (4, 5) then 3
        when {{ arrondissement }} in (6, 8) then 4
        when {{ arrondissement }} in (9, 10) then 5
        when {{ arrondissement }} in (11, 12) then 6
        when {{ arrondissement }} in (13, 14) then 7
        when {{ arrondissement }} in (15, 16) then 8
    end
{%- endmacro %}

{#- md5-based identifiers, stable across runs -#}
{% macro surrogate_id(parts) -%}
    md5(concat_ws('|', {% for p in parts %}coalesce(cast({{ p }} as varchar), '∅'){% if not loop.last %}, {% endif %}{% endfor %}))
{%- endmacro %}
