-- Prado-Carénage tunnel around each event: traffic over the clock hours overlapping the event
-- against the usual level of those hours (int_tunnel_traffic_usual_levels; only hours with both a
-- count and a usual level are compared), and the SMTPC incidents and closures and the Métropole
-- tunnel closures overlapping the event window (margins included).

with

events as (

    select * from {{ ref('int_event_footprint_imputed') }}

),

windows as (

    select * from {{ ref('int_event_windows_hourly') }}

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

event_windows as (

    select
        event_id,
        starts_at - to_hours({{ var('outcome_margin_hours') }}) as window_starts_at,
        least(ends_at, starts_at + to_hours({{ var('max_outcome_window_hours') }}))
        + to_hours({{ var('outcome_margin_hours') }}) as window_ends_at
    from events

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

closures as (

    select
        'smtpc:' || tunnel_incident_id as closure_key,
        starts_at,
        ends_at,
        incident_type in ('FERMETURE_PROGRAMMEE', 'FERMETURE_INOPINEE') as is_closure
    from tunnel_incidents
    union all
    select
        'metropole:' || tunnel_closure_id as closure_key,
        starts_at,
        ends_at,
        true as is_closure
    from metropole_closures

),

event_incidents as (

    select
        pairs.left_key as event_id,
        count(*) filter (where not closures.is_closure) as tunnel_incidents,
        count(*) filter (where closures.is_closure) as tunnel_closures
    from {{ overlapping_pairs('event_windows', 'event_id', 'window_starts_at', 'window_ends_at',
                              'closures', 'closure_key', 'starts_at', 'ends_at') }} as pairs
    inner join closures on pairs.right_key = closures.closure_key
    group by pairs.left_key

),

final as (

    select
        events.event_id,
        cast(event_traffic.tunnel_vehicles as bigint) as tunnel_vehicles,
        cast(round(event_traffic.tunnel_vehicles_usual) as bigint) as tunnel_vehicles_usual,
        round(100.0 * (event_traffic.tunnel_vehicles - event_traffic.tunnel_vehicles_usual)
            / nullif(event_traffic.tunnel_vehicles_usual, 0), 2) as tunnel_traffic_deviation_pct,
        cast(coalesce(event_incidents.tunnel_incidents, 0) as integer) as tunnel_incidents,
        cast(coalesce(event_incidents.tunnel_closures, 0) as integer) as tunnel_closures
    from events
    left join event_traffic on events.event_id = event_traffic.event_id
    left join event_incidents on events.event_id = event_incidents.event_id

)

select * from final
