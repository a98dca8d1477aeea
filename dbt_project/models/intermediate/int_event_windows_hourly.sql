-- The clock hours (UTC) over which an event's outcomes are measured: every hour overlapping
-- [start - outcome_margin_hours, end + outcome_margin_hours), where a very long event (a market of
-- several weeks) is cut to its first max_outcome_window_hours. in_event marks the hours overlapping
-- the event itself (without the margin): tunnel traffic is compared on those.

with

events as (

    select * from {{ ref('int_event_footprint_imputed') }}

),

windows as (

    select
        event_id,
        starts_at,
        least(ends_at, starts_at + to_hours({{ var('max_outcome_window_hours') }})) as measured_ends_at,
        starts_at - to_hours({{ var('outcome_margin_hours') }}) as window_starts_at,
        least(ends_at, starts_at + to_hours({{ var('max_outcome_window_hours') }}))
        + to_hours({{ var('outcome_margin_hours') }}) as window_ends_at
    from events

),

hours as (

    select
        event_id,
        starts_at,
        measured_ends_at,
        unnest(generate_series(
            date_trunc('hour', window_starts_at),
            window_ends_at - to_microseconds(1),
            to_hours(1)
        )) as hour_starts_at
    from windows

),

final as (

    select
        event_id,
        hour_starts_at,
        hour_starts_at < measured_ends_at and hour_starts_at + to_hours(1) > starts_at as in_event
    from hours

)

select * from final
