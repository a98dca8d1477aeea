{{ config(materialized='view') }}
-- One row per conflict of an event (rules in int_event_conflict_sets, which keeps them as one list per
-- event so that an incremental run can replace an event's conflicts at once).

with

conflict_sets as (

    select * from {{ ref('int_event_conflict_sets') }}

),

conflicts as (

    select
        event_id,
        unnest(conflicts) as conflict
    from conflict_sets

),

final as (

    select
        md5(
            event_id || '|' || struct_extract(conflict, 'conflict_kind')
            || '|' || struct_extract(conflict, 'conflicting_id')
        ) as conflict_id,
        event_id,
        struct_extract(conflict, 'conflict_kind') as conflict_kind,
        struct_extract(conflict, 'conflicting_source') as conflicting_source,
        struct_extract(conflict, 'conflicting_id') as conflicting_id,
        struct_extract(conflict, 'conflicting_event_id') as conflicting_event_id,
        struct_extract(conflict, 'conflicting_label') as conflicting_label,
        struct_extract(conflict, 'conflicting_starts_at') as conflicting_starts_at,
        struct_extract(conflict, 'conflicting_ends_at') as conflicting_ends_at,
        struct_extract(conflict, 'overlap_hours') as overlap_hours,
        struct_extract(conflict, 'distance_m') as distance_m
    from conflicts

)

select * from final
