-- Municipal police activity around each event: sums over the nearby cells
-- (int_police_activity_cells_near_events) and the hours of the event window plus margins
-- (int_event_windows_hourly). Agents engaged are the peak hourly total over the window (summing
-- hourly staff over hours would count the same agents several times). Equi-join on (cell, hour).

with

windows as (

    select * from {{ ref('int_event_windows_hourly') }}

),

near_cells as (

    select * from {{ ref('int_police_activity_cells_near_events') }}

),

cell_hours as (

    select * from {{ ref('int_police_activity_cell_hours') }}

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
    inner join cell_hours
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

final as (

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

)

select * from final
