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
-- depends_on: {{ ref('int_police_activity_cells_near_events') }}
-- Municipal police activity around each event, one row per event: sums over the nearby cells
-- (int_police_activity_cells_near_events) and the hours of the event window plus margins
-- (int_event_windows_hourly), NULL when nothing was recorded there. Agents engaged are the peak hourly
-- total over the window (summing hourly staff over hours would count the same agents several times).
-- Equi-join on (cell, hour).
--
-- Incremental (strategy replace_scope, macros/incremental.sql): a run recomputes only the events
--   * that are new, or whose window or place changed (outcome_signature: times, route, the vars), and
--   * whose window touches a UTC day with cell-hours of int_police_activity_cell_hours loaded since the
--     last run (activity_loaded_at: a new day, a re-delivered day, a cell seen for the first time);
-- events that no longer exist (merged into another one) are deleted. Every other event's activity is
-- untouched by the new data, so the table equals a full rebuild. (int_police_activity_cell_hours is
-- named where it is read, not imported as a CTE: a CTE read several times is materialised whole.)

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
        route_length_m,
        {{ inputs_signature(
            ['starts_at', 'ends_at', 'route_start_latitude', 'route_start_longitude',
             'route_end_latitude', 'route_end_longitude', 'route_length_m'],
            ['outcome_margin_hours', 'max_outcome_window_hours', 'police_cell_radius_m']
        ) }} as outcome_signature
    from {{ ref('int_event_footprint_imputed') }}

),

cells as (

    select * from {{ ref('int_police_activity_cells_located') }}

),

{% if is_incremental() %}

previous as (

    select event_id, outcome_signature from {{ this }}

),

changed_days as (

    -- UTC days (integer day numbers) of the cell-hours loaded since the last run
    select distinct cast(floor(epoch(cell_hours.hour_starts_at) / 86400) as bigint) as day_number
    from {{ ref('int_police_activity_cell_hours') }} as cell_hours
    where cell_hours.loaded_at > {{ stored_watermark('activity_loaded_at') }}

),

event_days as (

    {{ event_window_days('events') }}

),

scope as (

    -- new or changed events, and events whose window touches a day that received activity
    {{ outcome_scope('events', 'changed_days') }}

),

{% endif %}

selected_events as (

    {{ events_in_scope('events', 'scope') }}

),

windows as (

    {{ event_window_hours('selected_events') }}

),

near_cells as (

    {{ cells_near_events('selected_events', 'cells') }}

),

event_cell_hours as (

    select
        windows.event_id,
        windows.hour_starts_at,
        cell_hours.offences_atteinte_biens,
        cell_hours.offences_atteinte_personnes,
        cell_hours.offences_tranquillite,
        cell_hours.offences_circulation,
        cell_hours.offences_stationnement,
        cell_hours.offences_environnement,
        cell_hours.interventions_total,
        cell_hours.agents_engaged
    from windows
    inner join near_cells on windows.event_id = near_cells.event_id
    inner join {{ ref('int_police_activity_cell_hours') }} as cell_hours
        on near_cells.cell_key = cell_hours.cell_key
        and windows.hour_starts_at = cell_hours.hour_starts_at

),

hourly as (

    select
        event_id,
        hour_starts_at,
        sum(offences_atteinte_biens) as offences_atteinte_biens,
        sum(offences_atteinte_personnes) as offences_atteinte_personnes,
        sum(offences_tranquillite) as offences_tranquillite,
        sum(offences_circulation) as offences_circulation,
        sum(offences_stationnement) as offences_stationnement,
        sum(offences_environnement) as offences_environnement,
        sum(interventions_total) as interventions_total,
        sum(agents_engaged) as agents_engaged
    from event_cell_hours
    group by event_id, hour_starts_at

),

totals as (

    select
        event_id,
        cast(sum(offences_atteinte_biens) as integer) as offences_atteinte_biens,
        cast(sum(offences_atteinte_personnes) as integer) as offences_atteinte_personnes,
        cast(sum(offences_tranquillite) as integer) as offences_tranquillite,
        cast(sum(offences_circulation) as integer) as offences_circulation,
        cast(sum(offences_stationnement) as integer) as offences_stationnement,
        cast(sum(offences_environnement) as integer) as offences_environnement,
        cast(sum(interventions_total) as integer) as interventions_total,
        cast(max(agents_engaged) as integer) as agents_municipal
    from hourly
    group by event_id

),

final as (

    select
        selected_events.event_id,
        totals.offences_atteinte_biens,
        totals.offences_atteinte_personnes,
        totals.offences_tranquillite,
        totals.offences_circulation,
        totals.offences_stationnement,
        totals.offences_environnement,
        totals.interventions_total,
        totals.agents_municipal,
        selected_events.outcome_signature,
        (select max(cell_hours.loaded_at) from {{ ref('int_police_activity_cell_hours') }} as cell_hours) as activity_loaded_at
    from selected_events
    left join totals on selected_events.event_id = totals.event_id

    {% if is_incremental() %}
    union all

    -- scope markers: events gone since the last run (their row is deleted, nothing is inserted)
    select
        previous.event_id,
        cast(null as integer) as offences_atteinte_biens,
        cast(null as integer) as offences_atteinte_personnes,
        cast(null as integer) as offences_tranquillite,
        cast(null as integer) as offences_circulation,
        cast(null as integer) as offences_stationnement,
        cast(null as integer) as offences_environnement,
        cast(null as integer) as interventions_total,
        cast(null as integer) as agents_municipal,
        cast(null as varchar) as outcome_signature,
        cast(null as timestamptz) as activity_loaded_at
    from previous
    anti join events on previous.event_id = events.event_id
    {% endif %}

)

select * from final
