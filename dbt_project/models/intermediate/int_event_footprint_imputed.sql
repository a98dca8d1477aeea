-- The eight similarity axes made complete (no nulls), each derivation flagged per row.
--   footprint (emprise_m2), by emprise_method:
--     observed            the city's emprise_m2
--     route               a moving cortège: route length (great circle start -> arrival) x cortege_route_width_m
--     participants        a static gathering: participants x static_gathering_m2_per_person
--     security_perimeter  an official visit: disc of the security perimeter radius (pi r^2)
--     nature_median       median observed-or-derived footprint of events of the same nature
--     global_median       median over all events (a nature with no footprint at all)
--   participants, by participants_method: counted | declared | expected (reported), else
--     nature_median / global_median of the reported participants (imputed)
--   ends_at missing (DataTourisme): start + median duration of the nature (ends_at_imputed)

with

events as (

    select * from {{ ref('int_events_deduplicated') }}

),

durations as (

    select
        nature,
        median(epoch(ends_at - starts_at) / 3600.0) as median_duration_hours
    from events
    where ends_at is not null and ends_at > starts_at
    group by nature

),

with_participants as (

    select
        events.*,
        coalesce(
            events.ends_at,
            events.starts_at + to_seconds(cast(coalesce(durations.median_duration_hours, 3.0) * 3600 as bigint))
        ) as ends_at_complete,
        events.ends_at is null as ends_at_imputed,
        {{ distance_m('events.route_start_latitude', 'events.route_start_longitude',
                      'events.route_end_latitude', 'events.route_end_longitude') }} as route_length_m
    from events
    left join durations on events.nature = durations.nature

),

participant_medians as (

    select nature, median(participants_reported) as median_participants
    from events
    where participants_reported is not null
    group by nature

),

global_medians as (

    select
        coalesce(median(participants_reported), 100) as median_participants
    from events
    where participants_reported is not null

),

derived_footprint as (

    select
        with_participants.*,
        coalesce(
            with_participants.participants_reported,
            participant_medians.median_participants,
            global_medians.median_participants
        ) as participants_complete,
        case
            when with_participants.participants_reported is not null then with_participants.participants_reported_kind
            when participant_medians.median_participants is not null then 'nature_median'
            else 'global_median'
        end as participants_method,
        case
            when with_participants.emprise_reported_m2 is not null then with_participants.emprise_reported_m2
            when with_participants.route_end_latitude is not null and with_participants.route_length_m > 0
                then with_participants.route_length_m * {{ var('cortege_route_width_m') }}
            when with_participants.is_static_gathering and with_participants.participants_reported is not null
                then with_participants.participants_reported * {{ var('static_gathering_m2_per_person') }}
            when with_participants.security_perimeter_m > 0
                then pi() * pow(with_participants.security_perimeter_m, 2)
        end as emprise_derived_m2,
        case
            when with_participants.emprise_reported_m2 is not null then 'observed'
            when with_participants.route_end_latitude is not null and with_participants.route_length_m > 0 then 'route'
            when with_participants.is_static_gathering and with_participants.participants_reported is not null
                then 'participants'
            when with_participants.security_perimeter_m > 0 then 'security_perimeter'
        end as emprise_derived_method
    from with_participants
    cross join global_medians
    left join participant_medians on with_participants.nature = participant_medians.nature

),

footprint_medians as (

    select nature, median(emprise_derived_m2) as median_emprise_m2
    from derived_footprint
    where emprise_derived_m2 is not null
    group by nature

),

global_footprint as (

    select coalesce(median(emprise_derived_m2), 1000.0) as median_emprise_m2
    from derived_footprint
    where emprise_derived_m2 is not null

),

final as (

    select
        derived_footprint.event_id,
        derived_footprint.primary_record_id,
        derived_footprint.primary_source_dataset,
        derived_footprint.nature,
        derived_footprint.nature_family,
        derived_footprint.place_name,
        derived_footprint.latitude,
        derived_footprint.longitude,
        derived_footprint.route_start_latitude,
        derived_footprint.route_start_longitude,
        derived_footprint.route_end_latitude,
        derived_footprint.route_end_longitude,
        case when derived_footprint.route_end_latitude is not null then round(derived_footprint.route_length_m, 1) end as route_length_m,
        derived_footprint.arrondissement,
        {{ sector_of('derived_footprint.arrondissement') }} as sector,
        derived_footprint.starts_at,
        derived_footprint.ends_at_complete as ends_at,
        derived_footprint.ends_at_imputed,
        epoch(derived_footprint.ends_at_complete - derived_footprint.starts_at) / 3600.0 as duration_hours,
        cast(round(derived_footprint.participants_complete) as bigint) as participants,
        derived_footprint.participants_method not in ('counted', 'declared', 'expected') as participants_imputed,
        derived_footprint.participants_method,
        round(coalesce(
            derived_footprint.emprise_derived_m2,
            footprint_medians.median_emprise_m2,
            global_footprint.median_emprise_m2
        ), 1) as emprise_m2,
        coalesce(derived_footprint.emprise_derived_method, '') <> 'observed' as emprise_imputed,
        case
            when derived_footprint.emprise_derived_method is not null then derived_footprint.emprise_derived_method
            when footprint_medians.median_emprise_m2 is not null then 'nature_median'
            else 'global_median'
        end as emprise_method,
        {{ is_weekend('derived_footprint.starts_at') }} as is_weekend,
        {{ is_summer('derived_footprint.starts_at') }} as is_summer,
        derived_footprint.status,
        derived_footprint.took_place,
        derived_footprint.police_staff_records,
        derived_footprint.police_staff_operations,
        derived_footprint.source_partners,
        derived_footprint.source_ids,
        derived_footprint.source_count
    from derived_footprint
    cross join global_footprint
    left join footprint_medians on derived_footprint.nature = footprint_medians.nature

)

select * from final
