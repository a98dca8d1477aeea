with

conflicts as (

    select * from {{ ref('int_event_conflicts') }}

),

events as (

    select event_id, starts_at, ends_at from {{ ref('int_event_footprint_imputed') }}

),

final as (

    select
        cast(conflicts.conflict_id as varchar) as conflict_id,
        cast(conflicts.event_id as varchar) as event_id,
        cast(events.starts_at as timestamptz) as event_starts_at,
        cast(events.ends_at as timestamptz) as event_ends_at,
        cast(conflicts.conflict_kind as varchar) as conflict_kind,
        cast(conflicts.conflicting_source as varchar) as conflicting_source,
        cast(conflicts.conflicting_id as varchar) as conflicting_id,
        cast(conflicts.conflicting_event_id as varchar) as conflicting_event_id,
        cast(conflicts.conflicting_label as varchar) as conflicting_label,
        cast(conflicts.conflicting_starts_at as timestamptz) as conflicting_starts_at,
        cast(conflicts.conflicting_ends_at as timestamptz) as conflicting_ends_at,
        cast(conflicts.overlap_hours as double) as overlap_hours,
        cast(conflicts.distance_m as double) as distance_m
    from conflicts
    inner join events on conflicts.event_id = events.event_id

)

select * from final
