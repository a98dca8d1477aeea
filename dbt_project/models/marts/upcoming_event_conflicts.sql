-- Events that have not ended yet and have at least one conflict, soonest first: the agenda of
-- conflicts the Marseille platform showed. A table (published with the other marts, which copy tables),
-- so "upcoming" is evaluated when the warehouse is built: every build, daily increments included,
-- refreshes it.

with

events as (

    select * from {{ ref('fct_event') }}

),

conflicts as (

    select * from {{ ref('fct_event_conflict') }}

),

final as (

    select
        cast(events.event_id as varchar) as event_id,
        cast(events.starts_at as timestamptz) as starts_at,
        cast(events.ends_at as timestamptz) as ends_at,
        cast(events.nature as varchar) as nature,
        cast(events.place_name as varchar) as place_name,
        cast(events.arrondissement as integer) as arrondissement,
        cast(events.status as varchar) as status,
        cast(conflicts.conflict_id as varchar) as conflict_id,
        cast(conflicts.conflict_kind as varchar) as conflict_kind,
        cast(conflicts.conflicting_id as varchar) as conflicting_id,
        cast(conflicts.conflicting_label as varchar) as conflicting_label,
        cast(conflicts.conflicting_starts_at as timestamptz) as conflicting_starts_at,
        cast(conflicts.conflicting_ends_at as timestamptz) as conflicting_ends_at,
        cast(conflicts.overlap_hours as double) as overlap_hours,
        cast(conflicts.distance_m as double) as distance_m
    from events
    inner join conflicts on events.event_id = conflicts.event_id
    where events.ends_at >= current_timestamp and events.took_place

)

select * from final
order by starts_at, event_id, conflict_kind, distance_m
