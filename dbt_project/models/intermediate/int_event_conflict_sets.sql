{{
    config(
        materialized='incremental',
        incremental_strategy='replace_scope',
        unique_key='event_id',
        scope_marker_column='conflict_signature',
        on_schema_change='fail'
    )
}}
-- What occupies the same place at the same time as an event (what the Marseille platform flagged),
-- one row per event with the list of its conflicts (int_event_conflicts has one row per conflict):
--   works           a traffic order with motif chantier within conflict_distance_m of the event's
--                   venue or route, overlapping it by at least conflict_min_overlap_hours;
--   tunnel_closure  a Métropole tunnel closure (tunnel located through the `tunnels` seed) or a
--                   Prado-Carénage closure (SMTPC) within conflict_tunnel_distance_m, overlapping;
--   event           another event that takes place (took_place) within conflict_distance_m,
--                   overlapping by at least conflict_min_overlap_hours (listed from both sides).
-- Refused, cancelled and forbidden events get no conflicts and cause none (an empty list).
--
-- Incremental (strategy replace_scope, macros/incremental.sql). Changed since the last run:
--   * events that are new, gone, or whose time, place, route, nature or status changed
--     (conflict_signature; it also covers the vars and the tunnels seed);
--   * traffic orders, Métropole closures and SMTPC incidents loaded since the last run
--     (context_loaded_at), whatever they were before (a re-delivered record may have moved).
-- The run recomputes the full list of every event that is changed, that listed a changed item last
-- time, or that conflicts with a changed item now; every other list cannot have changed.

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

tunnels_signature as (

    select md5(string_agg(tunnel_key || ':' || latitude || ':' || longitude, ',' order by tunnel_key)) as signature
    from tunnels

),

all_events as (

    -- the bounding box of the venue or route, for a cheap pre-filter before exact distances
    select
        events.event_id,
        events.nature,
        events.place_name,
        events.starts_at,
        events.ends_at,
        events.took_place,
        events.route_start_latitude,
        events.route_start_longitude,
        events.route_end_latitude,
        events.route_end_longitude,
        least(events.route_start_latitude, coalesce(events.route_end_latitude, events.route_start_latitude))
        as box_min_latitude,
        greatest(events.route_start_latitude, coalesce(events.route_end_latitude, events.route_start_latitude))
        as box_max_latitude,
        least(events.route_start_longitude, coalesce(events.route_end_longitude, events.route_start_longitude))
        as box_min_longitude,
        greatest(events.route_start_longitude, coalesce(events.route_end_longitude, events.route_start_longitude))
        as box_max_longitude,
        {{ inputs_signature(
            ['events.nature', 'events.place_name', 'events.starts_at', 'events.ends_at', 'events.took_place',
             'events.route_start_latitude', 'events.route_start_longitude', 'events.route_end_latitude',
             'events.route_end_longitude', 'tunnels_signature.signature'],
            ['conflict_distance_m', 'conflict_min_overlap_hours', 'conflict_tunnel_distance_m']
        ) }} as conflict_signature
    from events
    cross join tunnels_signature

),

active_events as (

    select * from all_events
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
        -- the longest tunnel key contained in the name (then the key itself: deterministic on ties)
        arg_max(tunnels.latitude, (length(tunnels.tunnel_key), tunnels.tunnel_key)) as latitude,
        arg_max(tunnels.longitude, (length(tunnels.tunnel_key), tunnels.tunnel_key)) as longitude,
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

context_loaded as (

    -- every record that can be a works order or a closure, whatever it says now
    select 'ville:ville__arretes_circulation:' || traffic_order_id as conflicting_id, loaded_at from traffic_orders
    union all
    select 'metropole:metropole__fermetures_tunnels:' || tunnel_closure_id as conflicting_id, loaded_at from metropole_closures
    union all
    select 'smtpc:smtpc__evenements_tunnel:' || tunnel_incident_id as conflicting_id, loaded_at from tunnel_incidents

),

{% if is_incremental() %}

previous as (

    select event_id, conflict_signature, conflicts from {{ this }}

),

changed_events as (

    select all_events.event_id
    from all_events
    anti join previous
        on all_events.event_id = previous.event_id
        and all_events.conflict_signature = previous.conflict_signature

    union

    select previous.event_id
    from previous
    anti join all_events on previous.event_id = all_events.event_id

),

changed_items as (

    select event_id as conflicting_id from changed_events
    union
    select conflicting_id from context_loaded
    where loaded_at > {{ stored_watermark('context_loaded_at') }}

),

changed_works as (

    select works.* from works semi join changed_items on works.conflicting_id = changed_items.conflicting_id

),

changed_closures as (

    select located_closures.*
    from located_closures
    semi join changed_items on located_closures.conflicting_id = changed_items.conflicting_id

),

changed_active_events as (

    select active_events.*
    from active_events
    semi join changed_events on active_events.event_id = changed_events.event_id

),

changed_span as (

    select min(starts_at) as span_starts_at, max(ends_at) as span_ends_at
    from (
        select starts_at, ends_at from changed_works
        union all
        select starts_at, ends_at from changed_closures
        union all
        select starts_at, ends_at from changed_active_events
    ) as changed_intervals

),

events_in_changed_span as (

    -- only events overlapping the time span of the changed items can conflict with one of them
    select active_events.* from active_events
    where
        active_events.ends_at > (select changed_span.span_starts_at from changed_span)
        and active_events.starts_at < (select changed_span.span_ends_at from changed_span)

),

new_partners as (

    -- events that conflict with a changed item now
    select new_pairs.event_id
    from ({{ event_conflict_pairs('events_in_changed_span', 'changed_works', 'changed_closures', 'changed_active_events') }}) as new_pairs

),

old_partners as (

    -- events that listed a changed item last time
    select listed.event_id
    from (
        select
            previous.event_id,
            struct_extract(unnest(previous.conflicts), 'conflicting_id') as conflicting_id
        from previous
    ) as listed
    semi join changed_items on listed.conflicting_id = changed_items.conflicting_id

),

scope as (

    select event_id from changed_events
    union
    select event_id from new_partners
    union
    select event_id from old_partners

),

selected_events as (

    select all_events.* from all_events semi join scope on all_events.event_id = scope.event_id

),

selected_active_events as (

    select * from selected_events
    where took_place

),

-- only what overlaps the time span of the recomputed events can conflict with them
selected_span as (

    select min(starts_at) as span_starts_at, max(ends_at) as span_ends_at from selected_active_events

),

candidate_works as (

    select works.* from works
    where
        works.ends_at > (select selected_span.span_starts_at from selected_span)
        and works.starts_at < (select selected_span.span_ends_at from selected_span)

),

candidate_closures as (

    select located_closures.* from located_closures
    where
        located_closures.ends_at > (select selected_span.span_starts_at from selected_span)
        and located_closures.starts_at < (select selected_span.span_ends_at from selected_span)

),

candidate_events as (

    select active_events.* from active_events
    where
        active_events.ends_at > (select selected_span.span_starts_at from selected_span)
        and active_events.starts_at < (select selected_span.span_ends_at from selected_span)

),

{% else %}

selected_events as (

    select * from all_events

),

selected_active_events as (

    select * from active_events

),

candidate_works as (

    select * from works

),

candidate_closures as (

    select * from located_closures

),

candidate_events as (

    select * from active_events

),

{% endif %}

pairs as (

    {{ event_conflict_pairs('selected_active_events', 'candidate_works', 'candidate_closures', 'candidate_events') }}

),

lists as (

    select
        event_id,
        -- sorted (kind, source, id, ...) so that a list is the same whichever run computed it
        list_sort(list(
            {
                'conflict_kind': conflict_kind,
                'conflicting_source': conflicting_source,
                'conflicting_id': conflicting_id,
                'conflicting_event_id': conflicting_event_id,
                'conflicting_label': conflicting_label,
                'conflicting_starts_at': conflicting_starts_at,
                'conflicting_ends_at': conflicting_ends_at,
                'overlap_hours': overlap_hours,
                'distance_m': distance_m
            }
        )) as conflicts
    from pairs
    group by event_id

),

final as (

    select
        selected_events.event_id,
        coalesce(lists.conflicts, []) as conflicts,
        selected_events.conflict_signature,
        (select max(context_loaded.loaded_at) from context_loaded) as context_loaded_at
    from selected_events
    left join lists on selected_events.event_id = lists.event_id

    {% if is_incremental() %}
    union all

    -- scope markers: events gone since the last run (their row is deleted, nothing is inserted)
    select
        previous.event_id,
        previous.conflicts,
        cast(null as varchar) as conflict_signature,
        cast(null as timestamptz) as context_loaded_at
    from previous
    anti join all_events on previous.event_id = all_events.event_id
    {% endif %}

)

select * from final
