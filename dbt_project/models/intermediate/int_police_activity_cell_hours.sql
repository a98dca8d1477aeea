{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['cell_key', 'hour_starts_at']
    )
}}
-- Municipal police activity pivoted to one row per (cell, hour): offences by category,
-- interventions and agents engaged. Incremental: a run recomputes only the (cell, hour) pairs that
-- received rows since the last run (a re-delivered day replaces its rows). The staging table is named
-- in each place (a CTE read twice is materialised whole) and bounded by the changed hours, so DuckDB
-- scans only the row groups of those hours.

with

{% if is_incremental() %}
changed as (

    select distinct
        new_activity.cell_id,
        new_activity.hour_starts_at
    from {{ ref('stg_ville__activite_police_municipale') }} as new_activity
    where new_activity.loaded_at > (select coalesce(max(existing.loaded_at), '-infinity'::timestamptz) from {{ this }} as existing)

),

selected as (

    select activity.*
    from {{ ref('stg_ville__activite_police_municipale') }} as activity
    semi join changed
        on activity.cell_id = changed.cell_id
        and activity.hour_starts_at = changed.hour_starts_at
    where
        activity.hour_starts_at >= (select min(changed.hour_starts_at) from changed)
        and activity.hour_starts_at <= (select max(changed.hour_starts_at) from changed)

),
{% else %}
selected as (

    select * from {{ ref('stg_ville__activite_police_municipale') }}

),
{% endif %}

final as (

    select
        cast(cell_northing_m as bigint) * 10000000 + cell_easting_m as cell_key,
        cell_id,
        hour_starts_at,
        cast(coalesce(sum(offences) filter (where category = 'atteinte_biens'), 0) as integer) as offences_atteinte_biens,
        cast(coalesce(sum(offences) filter (where category = 'atteinte_personnes'), 0) as integer) as offences_atteinte_personnes,
        cast(coalesce(sum(offences) filter (where category = 'tranquillite'), 0) as integer) as offences_tranquillite,
        cast(coalesce(sum(offences) filter (where category = 'circulation'), 0) as integer) as offences_circulation,
        cast(coalesce(sum(offences) filter (where category = 'stationnement'), 0) as integer) as offences_stationnement,
        cast(coalesce(sum(offences) filter (where category = 'environnement'), 0) as integer) as offences_environnement,
        cast(sum(offences) as integer) as offences_total,
        cast(sum(interventions) as integer) as interventions_total,
        cast(sum(agents_engaged) as integer) as agents_engaged,
        max(loaded_at) as loaded_at
    from selected
    group by cell_northing_m, cell_easting_m, cell_id, hour_starts_at

)

select * from final
