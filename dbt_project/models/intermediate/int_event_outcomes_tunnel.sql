{{
    config(
        materialized='incremental',
        incremental_strategy='replace_scope',
        unique_key='event_id',
        scope_marker_column='outcome_signature',
        on_schema_change='fail'
    )
}}
-- depends_on: {{ ref('int_event_windows_hourly') }}
-- Prado-Carénage tunnel around each event, one row per event: traffic over the clock hours overlapping
-- the event against the usual level of those hours (int_tunnel_traffic_usual_levels; only hours with
-- both a count and a usual level are compared), and the SMTPC incidents and closures and the Métropole
-- tunnel closures overlapping the event window (margins included).
--
-- Incremental (strategy replace_scope, macros/incremental.sql): a run recomputes the events
--   * that are new, or whose window changed (outcome_signature: times and the vars),
--   * whose window touches a day of usual-level hours recomputed since the last run (counts_loaded_at),
--   * whose window touches a day of an incident or closure loaded since the last run (closures_loaded_at),
--     or that counted such a record last time (closure_keys: a re-delivered record may have moved);
-- events that no longer exist are deleted.

with

events as (

    select
        event_id,
        starts_at,
        ends_at,
        {{ inputs_signature(['starts_at', 'ends_at'], ['outcome_margin_hours', 'max_outcome_window_hours']) }}
        as outcome_signature
    from {{ ref('int_event_footprint_imputed') }}

),

traffic as (

    select * from {{ ref('int_tunnel_traffic_usual_levels') }}

),

tunnel_incidents as (

    select * from {{ ref('stg_smtpc__evenements_tunnel') }}

),

metropole_closures as (

    select * from {{ ref('stg_metropole__fermetures_tunnels') }}

),

closures as (

    select
        'smtpc:' || tunnel_incident_id as closure_key,
        starts_at,
        ends_at,
        incident_type in ('FERMETURE_PROGRAMMEE', 'FERMETURE_INOPINEE') as is_closure,
        loaded_at
    from tunnel_incidents
    union all
    select
        'metropole:' || tunnel_closure_id as closure_key,
        starts_at,
        ends_at,
        true as is_closure,
        loaded_at
    from metropole_closures

),

{% if is_incremental() %}

previous as (

    select event_id, outcome_signature, closure_keys from {{ this }}

),

changed_closures as (

    select * from closures
    where loaded_at > {{ stored_watermark('closures_loaded_at') }}

),

changed_days as (

    select distinct cast(floor(epoch(traffic.hour_starts_at) / 86400) as bigint) as day_number
    from traffic
    where traffic.counts_loaded_at > {{ stored_watermark('counts_loaded_at') }}

    union

    select day_number from ({{ interval_days('changed_closures', 'closure_key') }}) as closure_days

),

event_days as (

    {{ event_window_days('events') }}

),

scope as (

    -- new or changed events, events whose window touches a day with new traffic levels or a new or
    -- re-delivered closure, and events that counted a re-delivered closure last time
    {{ outcome_scope('events', 'changed_days',
        {'ids': 'closure_keys', 'key': 'closure_key', 'changed': 'changed_closures'}) }}

),

{% endif %}

selected_events as (

    {{ events_in_scope('events', 'scope') }}

),

event_windows as (

    select
        event_id,
        {{ outcome_window_starts_at('starts_at') }} as window_starts_at,
        {{ outcome_window_ends_at('starts_at', 'ends_at') }} as window_ends_at
    from selected_events

),

windows as (

    {{ event_window_hours('selected_events') }}

),

event_traffic as (

    select
        windows.event_id,
        sum(traffic.vehicles) as tunnel_vehicles,
        sum(traffic.usual_vehicles) as tunnel_vehicles_usual
    from windows
    inner join traffic on windows.hour_starts_at = traffic.hour_starts_at
    where windows.in_event and traffic.usual_vehicles is not null
    group by windows.event_id

),

event_incidents as (

    select
        pairs.left_key as event_id,
        count(*) filter (where not closures.is_closure) as tunnel_incidents,
        count(*) filter (where closures.is_closure) as tunnel_closures,
        list_sort(list(closures.closure_key)) as closure_keys
    from {{ overlapping_pairs('event_windows', 'event_id', 'window_starts_at', 'window_ends_at',
                              'closures', 'closure_key', 'starts_at', 'ends_at') }} as pairs
    inner join closures on pairs.right_key = closures.closure_key
    group by pairs.left_key

),

final as (

    select
        selected_events.event_id,
        cast(event_traffic.tunnel_vehicles as bigint) as tunnel_vehicles,
        cast(round(event_traffic.tunnel_vehicles_usual) as bigint) as tunnel_vehicles_usual,
        round(100.0 * (event_traffic.tunnel_vehicles - event_traffic.tunnel_vehicles_usual)
            / nullif(event_traffic.tunnel_vehicles_usual, 0), 2) as tunnel_traffic_deviation_pct,
        cast(coalesce(event_incidents.tunnel_incidents, 0) as integer) as tunnel_incidents,
        cast(coalesce(event_incidents.tunnel_closures, 0) as integer) as tunnel_closures,
        coalesce(event_incidents.closure_keys, []) as closure_keys,
        selected_events.outcome_signature,
        (select max(traffic.counts_loaded_at) from traffic) as counts_loaded_at,
        (select max(closures.loaded_at) from closures) as closures_loaded_at
    from selected_events
    left join event_traffic on selected_events.event_id = event_traffic.event_id
    left join event_incidents on selected_events.event_id = event_incidents.event_id

    {% if is_incremental() %}
    union all

    -- scope markers: events gone since the last run (their row is deleted, nothing is inserted)
    select
        previous.event_id,
        cast(null as bigint) as tunnel_vehicles,
        cast(null as bigint) as tunnel_vehicles_usual,
        cast(null as double) as tunnel_traffic_deviation_pct,
        cast(null as integer) as tunnel_incidents,
        cast(null as integer) as tunnel_closures,
        previous.closure_keys,
        cast(null as varchar) as outcome_signature,
        cast(null as timestamptz) as counts_loaded_at,
        cast(null as timestamptz) as closures_loaded_at
    from previous
    anti join events on previous.event_id = events.event_id
    {% endif %}

)

select * from final
