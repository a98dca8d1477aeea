-- RTM disruptions (any cause) overlapping the event window (margins included) at a stop within
-- rtm_radius_m of the event's venue or cortège route.

with

events as (

    select * from {{ ref('int_event_footprint_imputed') }}

),

disruptions as (

    select * from {{ ref('stg_metropole__perturbations_rtm') }}

),

event_windows as (

    select
        event_id,
        route_start_latitude,
        route_start_longitude,
        route_end_latitude,
        route_end_longitude,
        starts_at - to_hours({{ var('outcome_margin_hours') }}) as window_starts_at,
        least(ends_at, starts_at + to_hours({{ var('max_outcome_window_hours') }}))
        + to_hours({{ var('outcome_margin_hours') }}) as window_ends_at
    from events

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

final as (

    select
        event_id,
        cast(count(*) as integer) as rtm_disruptions
    from overlapping
    where distance_m <= {{ var('rtm_radius_m') }}
    group by event_id

)

select * from final
