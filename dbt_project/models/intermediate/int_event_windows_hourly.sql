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
        -- integer hour numbers since the epoch: a series of timestamps with time zone is slow
        unnest(generate_series(
            cast(floor(epoch(window_starts_at) / 3600) as bigint),
            cast(ceil(epoch(window_ends_at) / 3600) as bigint) - 1
        )) as hour_number
    from windows

),

final as (

    select
        event_id,
        to_timestamp(hour_number * 3600) as hour_starts_at,
        hour_number * 3600 < epoch(measured_ends_at) and (hour_number + 1) * 3600 > epoch(starts_at) as in_event
    from hours

)

select * from final
