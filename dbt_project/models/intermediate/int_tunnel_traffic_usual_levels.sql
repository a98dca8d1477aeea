{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='hour_starts_at',
        on_schema_change='fail'
    )
}}
-- The usual Prado-Carénage traffic of each hour: the median of the hourly traffic at the same local
-- (Europe/Paris) weekday and wall-clock hour over the previous tunnel_usual_weeks weeks, when at
-- least half of those weeks were counted. Equi-join on the local hour shifted by whole weeks.
--
-- Incremental: the hours of int_tunnel_traffic_hourly loaded since the last run (counts_loaded_at)
-- change their own row and the usual level of the same local hour over the next tunnel_usual_weeks
-- weeks; only those rows are recomputed (all of them when tunnel_usual_weeks changes). Hourly rows
-- are never deleted and their count of periods only grows (raw counts are upserted), so no row
-- ever has to disappear.

{%- set weeks_needed = (var('tunnel_usual_weeks') / 2) | round(0, 'ceil') | int %}

with

all_hours as (

    select * from {{ ref('int_tunnel_traffic_hourly') }}

),

hourly as (

    select * from all_hours
    where periods_counted >= 15  -- at least 75 % of the 20 six-minute periods (2 directions) counted

),

weeks as (

    select unnest(generate_series(1, {{ var('tunnel_usual_weeks') }})) as weeks_back

),

{% if is_incremental() %}

changed as (

    select all_hours.local_hour_starts_at
    from all_hours
    where all_hours.loaded_at > {{ stored_watermark('counts_loaded_at') }}

),

affected as (

    -- the changed local hour itself and the same local hour 1 .. N weeks later
    select distinct changed.local_hour_starts_at + to_days(cast(7 * shift.weeks_forward as integer)) as local_hour_starts_at
    from changed
    cross join (select unnest(generate_series(0, {{ var('tunnel_usual_weeks') }})) as weeks_forward) as shift

),

selected as (

    select hourly.*
    from hourly
    where
        hourly.local_hour_starts_at in (select affected.local_hour_starts_at from affected)
        or exists (
            select 1 from {{ this }} as stored
            where stored.usual_weeks <> {{ var('tunnel_usual_weeks') }}
        )

),

{% else %}

selected as (

    select * from hourly

),

{% endif %}

targets as (

    select
        selected.hour_starts_at,
        selected.local_hour_starts_at - to_days(cast(7 * weeks.weeks_back as integer)) as previous_local_hour_starts_at
    from selected
    cross join weeks

),

history as (

    select
        targets.hour_starts_at,
        previous.vehicles as previous_vehicles
    from targets
    inner join hourly as previous
        on targets.previous_local_hour_starts_at = previous.local_hour_starts_at

),

usual as (

    select
        hour_starts_at,
        median(previous_vehicles) as usual_vehicles,
        count(*) as weeks_counted
    from history
    group by hour_starts_at
    having count(*) >= {{ weeks_needed }}

),

final as (

    select
        selected.hour_starts_at,
        selected.local_hour_starts_at,
        selected.vehicles,
        usual.usual_vehicles,
        cast(usual.weeks_counted as integer) as weeks_counted,
        {{ var('tunnel_usual_weeks') }} as usual_weeks,
        (select max(all_hours.loaded_at) from all_hours) as counts_loaded_at
    from selected
    left join usual on selected.hour_starts_at = usual.hour_starts_at

)

select * from final
