-- The usual Prado-Carénage traffic of each hour: the median of the hourly traffic at the same local
-- (Europe/Paris) weekday and wall-clock hour over the previous tunnel_usual_weeks weeks, when at
-- least half of those weeks were counted. Equi-join on the local hour shifted by whole weeks.

with

hourly as (

    select * from {{ ref('int_tunnel_traffic_hourly') }}
    where periods_counted >= 15  -- at least 75 % of the 20 six-minute periods (2 directions) counted

),

weeks as (

    select unnest(generate_series(1, {{ var('tunnel_usual_weeks') }})) as weeks_back

),

targets as (

    select
        hourly.hour_starts_at,
        hourly.local_hour_starts_at - to_days(cast(7 * weeks.weeks_back as integer)) as previous_local_hour_starts_at
    from hourly
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
    having count(*) >= {{ (var('tunnel_usual_weeks') / 2) | round(0, 'ceil') | int }}

),

final as (

    select
        hourly.hour_starts_at,
        hourly.local_hour_starts_at,
        hourly.vehicles,
        usual.usual_vehicles,
        cast(usual.weeks_counted as integer) as weeks_counted
    from hourly
    left join usual on hourly.hour_starts_at = usual.hour_starts_at

)

select * from final
