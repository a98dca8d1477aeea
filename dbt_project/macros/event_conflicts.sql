{#-
  Conflicts of events with what occupies the same place at the same time (rules in
  models/intermediate/int_event_conflict_sets.sql), as one query with event_id, conflict_kind,
  conflicting_source, conflicting_id, conflicting_event_id, conflicting_label, conflicting_starts_at,
  conflicting_ends_at, overlap_hours, distance_m. Every argument is a relation or CTE name:
    events         the events whose conflicts are listed (active_events shape: event_id, starts_at,
                   ends_at, route_*, box_*, nature, place_name);
    works          works orders (conflicting_id, conflicting_source, conflicting_label, latitude,
                   longitude, starts_at, ends_at);
    closures       located tunnel closures, same shape;
    other_events   the events they may conflict with (active_events shape).
  Pairs come from overlapping_pairs (days x 0.01 degree buckets, hash join), then exact distance and
  overlap filters. The incremental model calls it with small sets on one side.
-#}
{% macro event_conflict_pairs(events, works, closures, other_events) -%}
{%- set point_sources = [
    {'relation': works, 'kind': 'works', 'distance': var('conflict_distance_m'), 'margin_on_events': true},
    {'relation': closures, 'kind': 'tunnel_closure', 'distance': var('conflict_tunnel_distance_m'), 'margin_on_events': false},
] -%}
    select
        event_id,
        conflict_kind,
        conflicting_source,
        conflicting_id,
        conflicting_event_id,
        conflicting_label,
        conflicting_starts_at,
        conflicting_ends_at,
        round(exact_overlap_hours, 3) as overlap_hours,
        round(exact_distance_m, 1) as distance_m
    from (
        {%- for source in point_sources %}
        {%- set occupied = source.relation %}
        {%- set max_distance = source.distance %}
        select
            conflict_events.event_id,
            '{{ source.kind }}' as conflict_kind,
            occupied.conflicting_source,
            occupied.conflicting_id,
            cast(null as varchar) as conflicting_event_id,
            occupied.conflicting_label,
            occupied.starts_at as conflicting_starts_at,
            occupied.ends_at as conflicting_ends_at,
            epoch(least(conflict_events.ends_at, occupied.ends_at)
                - greatest(conflict_events.starts_at, occupied.starts_at)) / 3600.0 as exact_overlap_hours,
            {{ distance_to_segment_m('occupied.latitude', 'occupied.longitude',
                                     'conflict_events.route_start_latitude', 'conflict_events.route_start_longitude',
                                     'conflict_events.route_end_latitude', 'conflict_events.route_end_longitude') }} as exact_distance_m,
            {{ max_distance }} as max_distance_m
        from {{ overlapping_pairs(
            events, 'event_id', 'starts_at', 'ends_at',
            occupied, 'conflicting_id', 'starts_at', 'ends_at',
            left_bounds=spatial_bounds_of_segment('route_start_latitude', 'route_start_longitude', 'route_end_latitude', 'route_end_longitude', max_distance if source.margin_on_events else 0),
            right_bounds=spatial_bounds_of_segment('latitude', 'longitude', 'null', 'null', 0 if source.margin_on_events else max_distance)
        ) }} as pairs
        inner join {{ events }} as conflict_events on pairs.left_key = conflict_events.event_id
        inner join {{ occupied }} as occupied on pairs.right_key = occupied.conflicting_id
        where
            occupied.latitude between conflict_events.box_min_latitude - {{ max_distance }} / 111000.0
                and conflict_events.box_max_latitude + {{ max_distance }} / 111000.0
            and occupied.longitude between conflict_events.box_min_longitude - {{ max_distance }} / 78000.0
                and conflict_events.box_max_longitude + {{ max_distance }} / 78000.0

        union all
        {%- endfor %}

        select
            conflict_events.event_id,
            'event' as conflict_kind,
            'fct_event' as conflicting_source,
            other_events.event_id as conflicting_id,
            other_events.event_id as conflicting_event_id,
            other_events.nature || ' - ' || coalesce(other_events.place_name, '') as conflicting_label,
            other_events.starts_at as conflicting_starts_at,
            other_events.ends_at as conflicting_ends_at,
            epoch(least(conflict_events.ends_at, other_events.ends_at)
                - greatest(conflict_events.starts_at, other_events.starts_at)) / 3600.0 as exact_overlap_hours,
            least(
                {{ distance_to_segment_m('other_events.route_start_latitude', 'other_events.route_start_longitude',
                                         'conflict_events.route_start_latitude', 'conflict_events.route_start_longitude',
                                         'conflict_events.route_end_latitude', 'conflict_events.route_end_longitude') }},
                {{ distance_to_segment_m('coalesce(other_events.route_end_latitude, other_events.route_start_latitude)',
                                         'coalesce(other_events.route_end_longitude, other_events.route_start_longitude)',
                                         'conflict_events.route_start_latitude', 'conflict_events.route_start_longitude',
                                         'conflict_events.route_end_latitude', 'conflict_events.route_end_longitude') }},
                {{ distance_to_segment_m('conflict_events.route_start_latitude', 'conflict_events.route_start_longitude',
                                         'other_events.route_start_latitude', 'other_events.route_start_longitude',
                                         'other_events.route_end_latitude', 'other_events.route_end_longitude') }}
            ) as exact_distance_m,
            {{ var('conflict_distance_m') }} as max_distance_m
        from {{ overlapping_pairs(
            events, 'event_id', 'starts_at', 'ends_at',
            other_events, 'event_id', 'starts_at', 'ends_at',
            left_bounds=spatial_bounds_of_segment('route_start_latitude', 'route_start_longitude', 'route_end_latitude', 'route_end_longitude', var('conflict_distance_m')),
            right_bounds=spatial_bounds_of_segment('route_start_latitude', 'route_start_longitude', 'route_end_latitude', 'route_end_longitude', 0)
        ) }} as pairs
        inner join {{ events }} as conflict_events on pairs.left_key = conflict_events.event_id
        inner join {{ other_events }} as other_events on pairs.right_key = other_events.event_id
        where
            other_events.event_id <> conflict_events.event_id
            and other_events.box_min_latitude <= conflict_events.box_max_latitude + {{ var('conflict_distance_m') }} / 111000.0
            and other_events.box_max_latitude >= conflict_events.box_min_latitude - {{ var('conflict_distance_m') }} / 111000.0
            and other_events.box_min_longitude <= conflict_events.box_max_longitude + {{ var('conflict_distance_m') }} / 78000.0
            and other_events.box_max_longitude >= conflict_events.box_min_longitude - {{ var('conflict_distance_m') }} / 78000.0
    ) as unioned
    where
        exact_distance_m <= max_distance_m
        and exact_overlap_hours >= {{ var('conflict_min_overlap_hours') }}
{%- endmacro %}
