{{
    config(
        materialized='incremental',
        incremental_strategy='replace_scope',
        unique_key='event_id',
        scope_marker_column='outcome_signature',
        on_schema_change='fail'
    )
}}
-- RTM disruptions (any cause) overlapping the event window (margins included) at a stop within
-- rtm_radius_m of the event's venue or cortège route, one row per event.
--
-- Incremental (strategy replace_scope, macros/incremental.sql): a run recomputes the events
--   * that are new, or whose window, place or route changed (outcome_signature, with the vars),
--   * whose window touches a day of a disruption loaded since the last run (disruptions_loaded_at), or
--     that counted such a disruption last time (disruption_ids: a re-delivered record may have moved);
-- events that no longer exist are deleted.

with

events as (

    select
        event_id,
        starts_at,
        ends_at,
        route_start_latitude,
        route_start_longitude,
        route_end_latitude,
        route_end_longitude,
        {{ inputs_signature(
            ['starts_at', 'ends_at', 'route_start_latitude', 'route_start_longitude',
             'route_end_latitude', 'route_end_longitude'],
            ['outcome_margin_hours', 'max_outcome_window_hours', 'rtm_radius_m']
        ) }} as outcome_signature
    from {{ ref('int_event_footprint_imputed') }}

),

disruptions as (

    select * from {{ ref('stg_metropole__perturbations_rtm') }}

),

{% if is_incremental() %}

previous as (

    select event_id, outcome_signature, disruption_ids from {{ this }}

),

changed_disruptions as (

    select * from disruptions
    where loaded_at > {{ stored_watermark('disruptions_loaded_at') }}

),

changed_days as (

    select distinct day_number from ({{ interval_days('changed_disruptions', 'disruption_id') }}) as disruption_days

),

event_days as (

    {{ event_window_days('events') }}

),

scope as (

    -- new or changed events, events whose window touches a day of a new or re-delivered disruption,
    -- and events that counted a re-delivered disruption last time
    {{ outcome_scope('events', 'changed_days',
        {'ids': 'disruption_ids', 'key': 'disruption_id', 'changed': 'changed_disruptions'}) }}

),

{% endif %}

selected_events as (

    {{ events_in_scope('events', 'scope') }}

),

event_windows as (

    select
        event_id,
        route_start_latitude,
        route_start_longitude,
        route_end_latitude,
        route_end_longitude,
        {{ outcome_window_starts_at('starts_at') }} as window_starts_at,
        {{ outcome_window_ends_at('starts_at', 'ends_at') }} as window_ends_at
    from selected_events

),

overlapping as (

    select
        event_windows.event_id,
        disruptions.disruption_id,
        {{ distance_to_segment_m('disruptions.latitude', 'disruptions.longitude',
                                 'event_windows.route_start_latitude', 'event_windows.route_start_longitude',
                                 'event_windows.route_end_latitude', 'event_windows.route_end_longitude') }} as distance_m
    from {{ overlapping_pairs(
        'event_windows', 'event_id', 'window_starts_at', 'window_ends_at',
        'disruptions', 'disruption_id', 'starts_at', 'ends_at',
        left_bounds=spatial_bounds_of_segment('route_start_latitude', 'route_start_longitude', 'route_end_latitude', 'route_end_longitude', var('rtm_radius_m')),
        right_bounds=spatial_bounds_of_segment('latitude', 'longitude', 'null', 'null', 0)
    ) }} as pairs
    inner join event_windows on pairs.left_key = event_windows.event_id
    inner join disruptions on pairs.right_key = disruptions.disruption_id

),

counted as (

    select
        event_id,
        cast(count(*) as integer) as rtm_disruptions,
        list_sort(list(disruption_id)) as disruption_ids
    from overlapping
    where distance_m <= {{ var('rtm_radius_m') }}
    group by event_id

),

final as (

    select
        selected_events.event_id,
        coalesce(counted.rtm_disruptions, 0) as rtm_disruptions,
        coalesce(counted.disruption_ids, []) as disruption_ids,
        selected_events.outcome_signature,
        (select max(disruptions.loaded_at) from disruptions) as disruptions_loaded_at
    from selected_events
    left join counted on selected_events.event_id = counted.event_id

    {% if is_incremental() %}
    union all

    -- scope markers: events gone since the last run (their row is deleted, nothing is inserted)
    select
        previous.event_id,
        cast(null as integer) as rtm_disruptions,
        previous.disruption_ids,
        cast(null as varchar) as outcome_signature,
        cast(null as timestamptz) as disruptions_loaded_at
    from previous
    anti join events on previous.event_id = events.event_id
    {% endif %}

)

select * from final
