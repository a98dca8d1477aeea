-- Deduplication of the event records across partners (DESIGN §4). Each record gets the record that
-- stands for its real-world event (its primary record):
--   1. a Préfecture demonstration matches the city event of the same nature family whose venue is
--      within dedup_max_distance_m of the demonstration's route (start-arrival segment) and whose
--      time interval overlaps once both are widened by dedup_time_tolerance_minutes;
--   2. a DataTourisme event matches a city event, else an unmatched demonstration, with the same
--      rule (a DataTourisme record of unknown category, nature 'animation', matches any family);
--   3. official visits and every unmatched record are events of their own.
-- Among several candidates the nearest wins, then the closest start, then the smallest record id.
-- Matching is one level deep (records attach to a primary, never to another attached record), so no
-- chain of loose matches can merge distinct events.

with

records as (

    select * from {{ ref('int_events_unioned') }}

),

tolerance as (

    select to_minutes(cast({{ var('dedup_time_tolerance_minutes') }} as bigint)) as widen

),

city as (

    select * from records where source_dataset = 'ville__evenements'

),

demonstrations as (

    select * from records where source_dataset = 'prefecture__manifestations'

),

datatourisme as (

    select * from records where source_dataset = 'metropole__datatourisme_poi'

),

demonstration_candidates as (

    select
        demonstrations.record_id,
        city.record_id as primary_record_id,
        {{ distance_to_segment_m('city.latitude', 'city.longitude',
                                 'demonstrations.latitude', 'demonstrations.longitude',
                                 'demonstrations.end_latitude', 'demonstrations.end_longitude') }} as match_distance_m,
        abs(epoch(demonstrations.starts_at) - epoch(city.starts_at)) as start_gap_s
    from demonstrations
    cross join tolerance
    inner join city
        on city.starts_at < demonstrations.ends_at + tolerance.widen
        and city.ends_at + tolerance.widen > demonstrations.starts_at
    where city.nature_family = demonstrations.nature_family

),

demonstration_matches as (

    select
        record_id,
        arg_min(primary_record_id, [match_distance_m, start_gap_s]) as primary_record_id,
        min(match_distance_m) as match_distance_m
    from demonstration_candidates
    where match_distance_m <= {{ var('dedup_max_distance_m') }}
    group by record_id

),

datatourisme_anchors as (

    select city.* from city
    union all
    select demonstrations.*
    from demonstrations
    anti join demonstration_matches on demonstrations.record_id = demonstration_matches.record_id

),

datatourisme_candidates as (

    select
        datatourisme.record_id,
        datatourisme_anchors.record_id as primary_record_id,
        {{ distance_to_segment_m('datatourisme.latitude', 'datatourisme.longitude',
                                 'datatourisme_anchors.latitude', 'datatourisme_anchors.longitude',
                                 'datatourisme_anchors.end_latitude', 'datatourisme_anchors.end_longitude') }}
        as match_distance_m,
        abs(epoch(datatourisme.starts_at) - epoch(datatourisme_anchors.starts_at)) as start_gap_s,
        datatourisme_anchors.source_rank as anchor_rank
    from datatourisme
    cross join tolerance
    inner join datatourisme_anchors
        on datatourisme_anchors.starts_at < coalesce(datatourisme.ends_at, datatourisme.starts_at) + tolerance.widen
        and datatourisme_anchors.ends_at + tolerance.widen > datatourisme.starts_at
    where
        datatourisme_anchors.nature_family = datatourisme.nature_family
        or datatourisme.nature = 'animation'

),

datatourisme_matches as (

    select
        record_id,
        arg_min(primary_record_id, [anchor_rank, match_distance_m, start_gap_s]) as primary_record_id,
        min(match_distance_m) as match_distance_m
    from datatourisme_candidates
    where match_distance_m <= {{ var('dedup_max_distance_m') }}
    group by record_id

),

matches as (

    select record_id, primary_record_id, match_distance_m, 'demonstration_to_city_event' as match_rule
    from demonstration_matches
    union all
    select record_id, primary_record_id, match_distance_m, 'datatourisme_to_event' as match_rule
    from datatourisme_matches

),

final as (

    select
        records.record_id,
        coalesce(matches.primary_record_id, records.record_id) as primary_record_id,
        matches.primary_record_id is null as is_primary,
        coalesce(matches.match_rule, 'primary') as match_rule,
        matches.match_distance_m
    from records
    left join matches on records.record_id = matches.record_id

)

select * from final
