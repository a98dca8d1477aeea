{#- An event's outcome window: [start - outcome_margin_hours, min(end, start + max_outcome_window_hours)
    + outcome_margin_hours). -#}
{% macro outcome_window_starts_at(starts_at) -%}
    ({{ starts_at }} - to_hours({{ var('outcome_margin_hours') }}))
{%- endmacro %}

{% macro outcome_measured_ends_at(starts_at, ends_at) -%}
    least({{ ends_at }}, {{ starts_at }} + to_hours({{ var('max_outcome_window_hours') }}))
{%- endmacro %}

{% macro outcome_window_ends_at(starts_at, ends_at) -%}
    ({{ outcome_measured_ends_at(starts_at, ends_at) }} + to_hours({{ var('outcome_margin_hours') }}))
{%- endmacro %}

{#- The UTC clock hours overlapping each event's outcome window, as a query with event_id,
    hour_starts_at and in_event (the hour overlaps the event itself, without the margin). `events` is a
    relation or CTE with event_id, starts_at and ends_at. Used by int_event_windows_hourly and, on the
    events they recompute, by the incremental outcome models. -#}
{% macro event_window_hours(events) -%}
    select
        event_id,
        to_timestamp(hour_number * 3600) as hour_starts_at,
        hour_number * 3600 < epoch(measured_ends_at) and (hour_number + 1) * 3600 > epoch(starts_at) as in_event
    from (
        select
            event_id,
            starts_at,
            measured_ends_at,
            -- integer hour numbers since the epoch: a series of timestamps with time zone is slow
            unnest(generate_series(
                cast(floor(epoch(window_starts_at) / 3600) as bigint),
                cast(ceil(epoch(window_ends_at) / 3600) as bigint) - 1
            )) as hour_number
        from (
            select
                event_id,
                starts_at,
                {{ outcome_measured_ends_at('starts_at', 'ends_at') }} as measured_ends_at,
                {{ outcome_window_starts_at('starts_at') }} as window_starts_at,
                {{ outcome_window_ends_at('starts_at', 'ends_at') }} as window_ends_at
            from {{ events }}
        ) as windows
    ) as hours
{%- endmacro %}

{#- The UTC days (integer day numbers since the epoch) each event's outcome window touches, as a query
    with event_id and day_number: how incremental outcome models find the events a change may concern
    (a superset: a few events too many are recomputed, never one too few). -#}
{% macro event_window_days(events) -%}
    select
        event_id,
        unnest(generate_series(
            cast(floor(epoch({{ outcome_window_starts_at('starts_at') }}) / 86400) as bigint),
            cast(floor(epoch({{ outcome_window_ends_at('starts_at', 'ends_at') }}) / 86400) as bigint)
        )) as day_number
    from {{ events }}
{%- endmacro %}

{#- The UTC days an interval touches, for a relation with starts_at and ends_at: (key, day_number) -#}
{% macro interval_days(relation, key) -%}
    select
        {{ key }},
        unnest(generate_series(
            cast(floor(epoch(starts_at) / 86400) as bigint),
            cast(floor(epoch(greatest(starts_at, ends_at)) / 86400) as bigint)
        )) as day_number
    from {{ relation }}
{%- endmacro %}
