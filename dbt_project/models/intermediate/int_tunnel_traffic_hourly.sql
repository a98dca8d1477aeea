{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='hour_starts_at'
    )
}}
-- Prado-Carénage tunnel traffic per UTC hour, both directions, from the 6-minute counts.
-- Incremental: a run recomputes only the hours that received counts since the last run.

with

counts as (

    select * from {{ ref('stg_smtpc__comptages') }}

),

{% if is_incremental() %}
changed as (

    select distinct date_trunc('hour', counts.period_starts_at) as hour_starts_at
    from counts
    where counts.loaded_at > (select coalesce(max(existing.loaded_at), '-infinity'::timestamptz) from {{ this }} as existing)

),
{% endif %}

selected as (

    select
        date_trunc('hour', counts.period_starts_at) as hour_starts_at,
        counts.*
    from counts
    {% if is_incremental() %}
        where date_trunc('hour', counts.period_starts_at) in (select hour_starts_at from changed)
    {% endif %}

),

final as (

    select
        hour_starts_at,
        {{ local_time('hour_starts_at') }} as local_hour_starts_at,
        cast(sum(vehicles) as integer) as vehicles,
        cast(count(*) as integer) as periods_counted,
        max(loaded_at) as loaded_at
    from selected
    group by hour_starts_at

)

select * from final
