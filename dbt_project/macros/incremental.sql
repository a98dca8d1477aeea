{#-
  Helpers of the incremental models. The warehouse's incremental models never trust "what is new" alone:
  partners re-deliver updated records (a new `_loaded_at`, possibly another time or place), so each
  model keeps, per output row, what it was computed from (a signature of its inputs, and the
  `_loaded_at` watermark of the data it read), and recomputes the rows whose inputs differ.
  Raw tables are upserted, never deleted from (ingestion/rawload.py): after deleting raw rows by hand,
  run `dbt build --full-refresh`.
-#}

{#-
  Custom incremental strategy `replace_scope` (config: incremental_strategy='replace_scope',
  unique_key=<one column>, scope_marker_column=<column>): every row of the target whose key appears in
  the new batch is deleted, then the batch's rows are inserted, except the scope markers (rows whose
  scope_marker_column is NULL). A marker says "this key is in scope but has no row any more" (an event
  that disappeared, merged into another one): it deletes without inserting.
-#}
{% macro get_incremental_replace_scope_sql(arg_dict) %}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set key = arg_dict['unique_key'] -%}
    {%- set marker = config.get('scope_marker_column') -%}
    {%- if not key or key is not string or not marker -%}
        {{ exceptions.raise_compiler_error("replace_scope needs unique_key (one column) and scope_marker_column") }}
    {%- endif -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }}
    where {{ key }} in (select {{ key }} from {{ source }});

    insert into {{ target }} ({{ columns }})
    select {{ columns }}
    from {{ source }}
    where {{ marker }} is not null
{% endmacro %}

{#- md5 of the values of expressions and of the dbt vars that the computation of a row depends on:
    changing a var changes every signature, so the next incremental run recomputes every row. -#}
{% macro inputs_signature(expressions, var_names=[]) -%}
    md5(concat_ws('|',
        {%- for e in expressions %}
        coalesce(cast({{ e }} as varchar), '∅'),
        {%- endfor %}
        '{% for v in var_names %}{{ v }}={{ var(v) }};{% endfor %}'
    ))
{%- endmacro %}

{#- The watermark a model stored on its rows (NULL: nothing stored yet) -#}
{% macro stored_watermark(column) -%}
    (select coalesce(max(stored.{{ column }}), '-infinity'::timestamptz) from {{ this }} as stored)
{%- endmacro %}


{#- The events an incremental outcome model recomputes (the body of its `scope` CTE; it reads the CTEs
    `previous`, the model's own rows, and `event_days`, from event_window_days):
    * new events, or events whose inputs changed (outcome_signature differs from the stored one);
    * events whose window touches a day of `changed_days` (a CTE with a `day_number` column);
    * with `recounted` = {'ids': <list column of previous>, 'key': <key column>, 'changed': <CTE>}:
      events that counted a re-delivered record last time (the record may have moved away). -#}
{% macro outcome_scope(events, changed_days, recounted=none) -%}
    select {{ events }}.event_id
    from {{ events }}
    anti join previous
        on {{ events }}.event_id = previous.event_id
        and {{ events }}.outcome_signature = previous.outcome_signature

    union

    select event_days.event_id
    from event_days
    semi join {{ changed_days }} on event_days.day_number = {{ changed_days }}.day_number
    {%- if recounted %}

    union

    select counted.event_id
    from (
        select previous.event_id, unnest(previous.{{ recounted['ids'] }}) as {{ recounted['key'] }}
        from previous
    ) as counted
    semi join {{ recounted['changed'] }}
        on counted.{{ recounted['key'] }} = {{ recounted['changed'] }}.{{ recounted['key'] }}
    {%- endif %}
{%- endmacro %}


{#- The body of an incremental outcome model's `selected_events` CTE: the events of `scope` (the CTE
    built with outcome_scope) in an incremental run, every event in a full build. -#}
{% macro events_in_scope(events, scope) -%}
    {%- if is_incremental() %}
    select {{ events }}.*
    from {{ events }}
    semi join {{ scope }} on {{ events }}.event_id = {{ scope }}.event_id
    {%- else %}
    select * from {{ events }}
    {%- endif %}
{%- endmacro %}
