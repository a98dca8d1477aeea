{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='hour_starts_at'
    )
}}
-- Prado-Carénage tunnel traffic per UTC hour, both directions, from the 6-minute counts.
-- Incremental: a run recomputes only the hours that received counts since the last run. The hour is
-- computed from the epoch (date_trunc on a timestamp with time zone goes through ICU: 20 times slower
-- on 1.8 million rows); the counts of the changed hours are read with range bounds on the raw
-- timestamp (and the staging table named in each place: a CTE read twice is materialised whole), so
-- DuckDB scans only the row groups of those hours.

{% if is_incremental() %}

with

changed as (

    select distinct to_timestamp(floor(epoch(new_counts.period_starts_at) / 3600) * 3600) as hour_starts_at
    from {{ ref('stg_smtpc__comptages') }} as new_counts
    where new_counts.loaded_at > (select coalesce(max(existing.loaded_at), '-infinity'::timestamptz) from {{ this }} as existing)

),

selected as (

    select counts.*
    from {{ ref('stg_smtpc__comptages') }} as counts
    where
        counts.period_starts_at >= (select min(changed.hour_starts_at) from changed)
        and counts.period_starts_at < (select max(changed.hour_starts_at) from changed) + interval 1 hour
        and to_timestamp(floor(epoch(counts.period_starts_at) / 3600) * 3600) in (select changed.hour_starts_at from changed)

),

{% else %}

with

selected as (

    select * from {{ ref('stg_smtpc__comptages') }}

),

{% endif %}

hourly as (

    select
        to_timestamp(floor(epoch(period_starts_at) / 3600) * 3600) as hour_starts_at,
        cast(sum(vehicles) as integer) as vehicles,
        cast(count(*) as integer) as periods_counted,
        max(loaded_at) as loaded_at
    from selected
    group by 1

),

final as (

    select
        hour_starts_at,
        {{ local_time('hour_starts_at') }} as local_hour_starts_at,
        vehicles,
        periods_counted,
        loaded_at
    from hourly

)

select * from final
