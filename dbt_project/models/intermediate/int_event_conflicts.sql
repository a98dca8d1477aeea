-- What occupies the same place at the same time as an event (what the Marseille platform flagged):
--   works           a traffic order with motif chantier within conflict_distance_m of the event's
--                   venue or route, overlapping it by at least conflict_min_overlap_hours;
--   tunnel_closure  a Métropole tunnel closure (tunnel located through the `tunnels` seed) or a
--                   Prado-Carénage closure (SMTPC) within conflict_tunnel_distance_m, overlapping;
--   event           another event that takes place (took_place) within conflict_distance_m,
--                   overlapping by at least conflict_min_overlap_hours (listed from both sides).
-- Refused, cancelled and forbidden events get no conflicts and cause none.

with

events as (

    select * from {{ ref('int_event_footprint_imputed') }}

),

traffic_orders as (

    select * from {{ ref('stg_ville__arretes_circulation') }}

),

metropole_closures as (

    select * from {{ ref('stg_metropole__fermetures_tunnels') }}

),

tunnel_incidents as (

    select * from {{ ref('stg_smtpc__evenements_tunnel') }}

),

tunnels as (

    select * from {{ ref('tunnels') }}

),

active_events as (

    -- the bounding box of the venue or route, for a cheap pre-filter before exact distances
    select
        *,
        least(route_start_latitude, coalesce(route_end_latitude, route_start_latitude)) as box_min_latitude,
        greatest(route_start_latitude, coalesce(route_end_latitude, route_start_latitude)) as box_max_latitude,
        least(route_start_longitude, coalesce(route_end_longitude, route_start_longitude)) as box_min_longitude,
        greatest(route_start_longitude, coalesce(route_end_longitude, route_start_longitude)) as box_max_longitude
    from events
    where took_place

),

works as (

    select
        'ville:ville__arretes_circulation:' || traffic_order_id as conflicting_id,
        'ville__arretes_circulation' as conflicting_source,
        coalesce(street_name, '') || ' (' || measure || ')' as conflicting_label,
        latitude,
        longitude,
        starts_at,
        ends_at
    from traffic_orders
    where reason = 'chantier'

),

located_closures as (

    select
        'metropole:metropole__fermetures_tunnels:' || metropole_closures.tunnel_closure_id as conflicting_id,
        'metropole__fermetures_tunnels' as conflicting_source,
        metropole_closures.tunnel_name || ' - ' || coalesce(metropole_closures.closure_nature, '') as conflicting_label,
        arg_max(tunnels.latitude, length(tunnels.tunnel_key)) as latitude,
        arg_max(tunnels.longitude, length(tunnels.tunnel_key)) as longitude,
        metropole_closures.starts_at,
        metropole_closures.ends_at
    from metropole_closures
    inner join tunnels
        on contains(lower(strip_accents(metropole_closures.tunnel_name)), tunnels.tunnel_key)
    group by all

    union all

    select
        'smtpc:smtpc__evenements_tunnel:' || tunnel_incidents.tunnel_incident_id as conflicting_id,
        'smtpc__evenements_tunnel' as conflicting_source,
        'Tunnel Prado-Carénage - ' || tunnel_incidents.incident_type as conflicting_label,
        tunnels.latitude,
        tunnels.longitude,
        tunnel_incidents.starts_at,
        tunnel_incidents.ends_at
    from tunnel_incidents
    inner join tunnels on tunnels.tunnel_key = 'prado-carenage'
    where tunnel_incidents.incident_type in ('FERMETURE_PROGRAMMEE', 'FERMETURE_INOPINEE')

),

{#- Works and tunnel closures are places occupied for a while: the same query, each with its own distance. -#}
{%- set point_sources = [
    {'cte': 'works', 'kind': 'works', 'distance_var': 'conflict_distance_m', 'name': 'works_conflicts'},
    {'cte': 'located_closures', 'kind': 'tunnel_closure', 'distance_var': 'conflict_tunnel_distance_m',
     'name': 'closure_conflicts'},
] %}
{%- for source in point_sources %}
{%- set occupied = source.cte %}
{%- set max_distance = var(source.distance_var) %}
{{ source.name }} as (

    select
        active_events.event_id,
        '{{ source.kind }}' as conflict_kind,
        {{ occupied }}.conflicting_source,
        {{ occupied }}.conflicting_id,
        cast(null as varchar) as conflicting_event_id,
        {{ occupied }}.conflicting_label,
        {{ occupied }}.starts_at as conflicting_starts_at,
        {{ occupied }}.ends_at as conflicting_ends_at,
        epoch(least(active_events.ends_at, {{ occupied }}.ends_at)
            - greatest(active_events.starts_at, {{ occupied }}.starts_at)) / 3600.0 as overlap_hours,
        {{ distance_to_segment_m(occupied ~ '.latitude', occupied ~ '.longitude',
                                 'active_events.route_start_latitude', 'active_events.route_start_longitude',
                                 'active_events.route_end_latitude', 'active_events.route_end_longitude') }} as distance_m,
        {{ max_distance }} as max_distance_m
    from {{ overlapping_pairs(
        'active_events', 'event_id', 'starts_at', 'ends_at',
        occupied, 'conflicting_id', 'starts_at', 'ends_at',
        left_bounds=spatial_bounds_of_segment('route_start_latitude', 'route_start_longitude', 'route_end_latitude', 'route_end_longitude', max_distance),
        right_bounds=spatial_bounds_of_segment('latitude', 'longitude', 'null', 'null', 0)
    ) }} as pairs
    inner join active_events on pairs.left_key = active_events.event_id
    inner join {{ occupied }} on pairs.right_key = {{ occupied }}.conflicting_id
    where true
        and {{ occupied }}.latitude between active_events.box_min_latitude - {{ max_distance }} / 111000.0
            and active_events.box_max_latitude + {{ max_distance }} / 111000.0
        and {{ occupied }}.longitude between active_events.box_min_longitude - {{ max_distance }} / 78000.0
            and active_events.box_max_longitude + {{ max_distance }} / 78000.0

),
{% endfor %}

event_conflicts as (

    select
        active_events.event_id,
        'event' as conflict_kind,
        'fct_event' as conflicting_source,
        other_events.event_id as conflicting_id,
        other_events.event_id as conflicting_event_id,
        other_events.nature || ' - ' || coalesce(other_events.place_name, '') as conflicting_label,
        other_events.starts_at as conflicting_starts_at,
        other_events.ends_at as conflicting_ends_at,
        epoch(least(active_events.ends_at, other_events.ends_at)
            - greatest(active_events.starts_at, other_events.starts_at)) / 3600.0 as overlap_hours,
        least(
            {{ distance_to_segment_m('other_events.route_start_latitude', 'other_events.route_start_longitude',
                                     'active_events.route_start_latitude', 'active_events.route_start_longitude',
                                     'active_events.route_end_latitude', 'active_events.route_end_longitude') }},
            {{ distance_to_segment_m('coalesce(other_events.route_end_latitude, other_events.route_start_latitude)',
                                     'coalesce(other_events.route_end_longitude, other_events.route_start_longitude)',
                                     'active_events.route_start_latitude', 'active_events.route_start_longitude',
                                     'active_events.route_end_latitude', 'active_events.route_end_longitude') }},
            {{ distance_to_segment_m('active_events.route_start_latitude', 'active_events.route_start_longitude',
                                     'other_events.route_start_latitude', 'other_events.route_start_longitude',
                                     'other_events.route_end_latitude', 'other_events.route_end_longitude') }}
        ) as distance_m,
        {{ var('conflict_distance_m') }} as max_distance_m
    from {{ overlapping_pairs(
        'active_events', 'event_id', 'starts_at', 'ends_at',
        'active_events', 'event_id', 'starts_at', 'ends_at',
        left_bounds=spatial_bounds_of_segment('route_start_latitude', 'route_start_longitude', 'route_end_latitude', 'route_end_longitude', var('conflict_distance_m')),
        right_bounds=spatial_bounds_of_segment('route_start_latitude', 'route_start_longitude', 'route_end_latitude', 'route_end_longitude', 0)
    ) }} as pairs
    inner join active_events on pairs.left_key = active_events.event_id
    inner join active_events as other_events on pairs.right_key = other_events.event_id
    where
        other_events.event_id <> active_events.event_id
        and other_events.box_min_latitude <= active_events.box_max_latitude + {{ var('conflict_distance_m') }} / 111000.0
        and other_events.box_max_latitude >= active_events.box_min_latitude - {{ var('conflict_distance_m') }} / 111000.0
        and other_events.box_min_longitude <= active_events.box_max_longitude + {{ var('conflict_distance_m') }} / 78000.0
        and other_events.box_max_longitude >= active_events.box_min_longitude - {{ var('conflict_distance_m') }} / 78000.0

),

unioned as (

    select * from works_conflicts
    union all
    select * from closure_conflicts
    union all
    select * from event_conflicts

),

final as (

    select
        md5(event_id || '|' || conflict_kind || '|' || conflicting_id) as conflict_id,
        event_id,
        conflict_kind,
        conflicting_source,
        conflicting_id,
        conflicting_event_id,
        conflicting_label,
        conflicting_starts_at,
        conflicting_ends_at,
        round(overlap_hours, 3) as overlap_hours,
        round(distance_m, 1) as distance_m
    from unioned
    where
        distance_m <= max_distance_m
        and overlap_hours >= {{ var('conflict_min_overlap_hours') }}

)

select * from final
