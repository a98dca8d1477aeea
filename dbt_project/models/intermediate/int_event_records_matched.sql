-- Deduplication of the event records across partners (DESIGN §4). Each record gets the record that
-- stands for its real-world event (its primary record):
--   1. a Préfecture demonstration matches the city event of the same nature family whose venue is
--      within dedup_max_distance_m of the demonstration's route (start-arrival segment) and whose
--      time interval overlaps once both are widened by dedup_time_tolerance_minutes;
--   2. a DataTourisme event matches a city event, else an unmatched demonstration, with the same
--      rule (a DataTourisme record of unknown category, nature 'animation', matches any family), if
--      moreover it starts within dedup_time_tolerance_minutes of it (or is listed from local midnight
--      of the same day, as DataTourisme lists multi-day events) and the titles are alike
--      (title_similarity >= dedup_min_title_similarity: containment after normalisation, else
--      Jaro-Winkler): a months-long exhibition is not the concert held in the same hall one evening;
--   3. official visits and every unmatched record are events of their own.
-- Among several candidates the most similar title wins, then the nearest, then the closest start, then
-- the smallest record id (twin events - same title, place and time - must not be picked at random).
-- Matching is one level deep (records attach to a primary, never to another attached record), so no
-- chain of loose matches can merge distinct events.


{%- set tolerance = "interval '" ~ var('dedup_time_tolerance_minutes') ~ " minutes'" %}

with

records as (

    -- the local (Europe/Paris) day of each start, computed once per record: per candidate pair, the time
    -- zone conversions cost more than the rest of the matching
    select
        *,
        date_trunc('day', {{ local_time('starts_at') }}) as local_start_day,
        {{ local_time('starts_at') }} = date_trunc('day', {{ local_time('starts_at') }}) as starts_at_local_midnight
    from {{ ref('int_events_unioned') }}

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
        abs(epoch(demonstrations.starts_at) - epoch(city.starts_at)) as start_gap_s,
        {{ title_similarity('demonstrations.title_key', 'city.title_key') }} as title_similarity
    from {{ overlapping_pairs(
        'demonstrations', 'record_id', 'starts_at', 'ends_at',
        'city', 'record_id',
        'starts_at - ' ~ tolerance,
        'ends_at + ' ~ tolerance,
        left_bounds=spatial_bounds_of_segment('latitude', 'longitude', 'end_latitude', 'end_longitude', var('dedup_max_distance_m')),
        right_bounds=spatial_bounds_of_segment('latitude', 'longitude', 'null', 'null', 0)
    ) }} as pairs
    inner join demonstrations on pairs.left_key = demonstrations.record_id
    inner join city on pairs.right_key = city.record_id
    where city.nature_family = demonstrations.nature_family

),

demonstration_matches as (

    select
        record_id,
        arg_min(primary_record_id, (-title_similarity, match_distance_m, start_gap_s, primary_record_id)) as primary_record_id,
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
        -- DataTourisme lists multi-day events by whole days: from local midnight of the first day
        datatourisme.starts_at_local_midnight
        and datatourisme.local_start_day = datatourisme_anchors.local_start_day as listed_from_same_day,
        {{ title_similarity('datatourisme.title_key', 'datatourisme_anchors.title_key') }} as title_similarity,
        datatourisme_anchors.source_rank as anchor_rank
    from {{ overlapping_pairs(
        'datatourisme', 'record_id', 'starts_at', 'coalesce(ends_at, starts_at + interval 1 hour)',
        'datatourisme_anchors', 'record_id',
        'starts_at - ' ~ tolerance,
        'ends_at + ' ~ tolerance,
        left_bounds=spatial_bounds_of_segment('latitude', 'longitude', 'null', 'null', var('dedup_max_distance_m')),
        right_bounds=spatial_bounds_of_segment('latitude', 'longitude', 'end_latitude', 'end_longitude', 0)
    ) }} as pairs
    inner join datatourisme on pairs.left_key = datatourisme.record_id
    inner join datatourisme_anchors on pairs.right_key = datatourisme_anchors.record_id
    where
        datatourisme_anchors.nature_family = datatourisme.nature_family
        or datatourisme.nature = 'animation'

),

datatourisme_matches as (

    select
        record_id,
        arg_min(primary_record_id, (-title_similarity, anchor_rank, match_distance_m, start_gap_s, primary_record_id))
        as primary_record_id,
        min(match_distance_m) as match_distance_m
    from datatourisme_candidates
    where
        match_distance_m <= {{ var('dedup_max_distance_m') }}
        and title_similarity >= {{ var('dedup_min_title_similarity') }}
        and (start_gap_s <= {{ var('dedup_time_tolerance_minutes') }} * 60 or listed_from_same_day)
    group by record_id

),

matches as (

    select
        record_id,
        primary_record_id,
        match_distance_m,
        'demonstration_to_city_event' as match_rule
    from demonstration_matches
    union all
    select
        record_id,
        primary_record_id,
        match_distance_m,
        'datatourisme_to_event' as match_rule
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
