-- Partner records that are not events themselves but report or serve one, attached to the event
-- they belong to (its primary record, see int_event_records_matched):
--   * traffic orders with an evenement_id attach to that city event (rule 'linked');
--   * other traffic orders whose motif is evenement (then a Préfecture demonstration: the city's own
--     events carry their id), tournage (a film shoot), marche (a market) or autre (only an official
--     visit: protocol orders) attach to the best compatible event record within report_max_distance_m
--     of its venue or route, overlapping in time (widened by dedup_time_tolerance_minutes); works
--     orders (chantier) never do;
--   * RTM disruptions caused by a manifestation attach to the nearest Préfecture demonstration, those
--     caused by an evenement to the nearest other event, within rtm_report_max_distance_m, overlapping;
--   * Préfecture operations with EVENEMENT_LIE attach to that city event or cortège; unlinked
--     operations other than area patrols (SECURISATION_ZONE) attach to the nearest event as above.
-- Best = smallest (|start gap| + |end gap|) in hours + distance in km: a report starts a little before
-- its event and ends a little after; a gap above report_max_time_gap_hours is no match (day-long works
-- or protocol orders are not an evening's event). Orders and disruptions that match nothing are not events: they stay context (works -> conflicts,
-- disruptions -> outcomes).


{%- set tolerance = "interval '" ~ var('dedup_time_tolerance_minutes') ~ " minutes'" %}
{%- set max_gap = "interval '" ~ var('report_max_time_gap_hours') ~ " hours'" %}

with

records as (

    select * from {{ ref('int_events_unioned') }}

),

record_matches as (

    select * from {{ ref('int_event_records_matched') }}

),

traffic_orders as (

    select * from {{ ref('stg_ville__arretes_circulation') }}

),

disruptions as (

    select * from {{ ref('stg_metropole__perturbations_rtm') }}

),

operations as (

    select * from {{ ref('stg_prefecture__operations_programmees') }}

),

reports as (

    select
        'ville' as source_partner,
        'ville__arretes_circulation' as source_dataset,
        traffic_order_id as source_record_id,
        'traffic_order' as report_kind,
        reason as report_reason,
        case when city_event_id is not null then 'ville:ville__evenements:' || city_event_id end as linked_record_id,
        latitude,
        longitude,
        starts_at,
        ends_at,
        cast(null as integer) as police_staff,
        {{ var('report_max_distance_m') }} as max_distance_m
    from traffic_orders
    where reason in ('evenement', 'tournage', 'marche', 'autre') or city_event_id is not null

    union all

    select
        'metropole' as source_partner,
        'metropole__perturbations_rtm' as source_dataset,
        disruption_id as source_record_id,
        'rtm_disruption' as report_kind,
        cause as report_reason,
        cast(null as varchar) as linked_record_id,
        latitude,
        longitude,
        starts_at,
        ends_at,
        cast(null as integer) as police_staff,
        {{ var('rtm_report_max_distance_m') }} as max_distance_m
    from disruptions
    where cause in ('manifestation', 'evenement')

    union all

    select
        'prefecture' as source_partner,
        'prefecture__operations_programmees' as source_dataset,
        operation_id as source_record_id,
        'police_operation' as report_kind,
        operation_type as report_reason,
        linked_event_id as linked_record_id,
        latitude,
        longitude,
        starts_at,
        ends_at,
        police_staff,
        {{ var('report_max_distance_m') }} as max_distance_m
    from operations
    where linked_event_id is not null or operation_type <> 'SECURISATION_ZONE'

),

linked as (

    -- EVENEMENT_LIE holds a city event id or a cortège id, without saying which
    select
        reports.source_dataset,
        reports.source_record_id,
        arg_min(records.record_id, (records.source_rank, records.record_id)) as matched_record_id
    from reports
    inner join records
        on records.source_record_id = coalesce(
            nullif(regexp_extract(reports.linked_record_id, '^ville:ville__evenements:(.*)$', 1), ''),
            reports.linked_record_id
        )
        and records.source_dataset in ('ville__evenements', 'prefecture__manifestations')
    where
        reports.linked_record_id is not null
        and (
            reports.report_kind = 'police_operation'
            or records.source_dataset = 'ville__evenements'
        )
    group by reports.source_dataset, reports.source_record_id

),

unlinked as (

    select
        reports.source_dataset || ':' || reports.source_record_id as report_key,
        reports.*
    from reports
    anti join linked
        on reports.source_dataset = linked.source_dataset
        and reports.source_record_id = linked.source_record_id

),

candidates as (

    select
        unlinked.source_dataset,
        unlinked.source_record_id,
        records.record_id,
        unlinked.max_distance_m,
        {{ distance_to_segment_m('unlinked.latitude', 'unlinked.longitude',
                                 'records.latitude', 'records.longitude',
                                 'records.end_latitude', 'records.end_longitude') }} as match_distance_m,
        -- a report starts a little before its event and ends a little after: fit in hours
        (abs(epoch(unlinked.starts_at) - epoch(records.starts_at))
            + abs(epoch(unlinked.ends_at) - epoch(coalesce(records.ends_at, records.starts_at)))) / 3600.0 as time_gap_h
    -- A match needs |start gap| + |end gap| <= report_max_time_gap_hours, so only records starting
    -- within that many hours of the report are paired (a months-long market order is not expanded over
    -- all its days); the interval overlap (widened by the tolerance) is then checked exactly.
    from {{ overlapping_pairs(
        'unlinked', 'report_key',
        'starts_at - ' ~ max_gap ~ ' - interval 1 second',
        'starts_at + ' ~ max_gap ~ ' + interval 1 second',
        'records', 'record_id', 'starts_at', 'starts_at + interval 1 second',
        left_bounds=spatial_bounds_of_segment('latitude', 'longitude', 'null', 'null', 'max_distance_m'),
        right_bounds=spatial_bounds_of_segment('latitude', 'longitude', 'end_latitude', 'end_longitude', 0)
    ) }} as pairs
    inner join unlinked on pairs.left_key = unlinked.report_key
    inner join records on pairs.right_key = records.record_id
    where
        unlinked.starts_at < coalesce(records.ends_at, records.starts_at + interval 1 hour) + {{ tolerance }}
        and records.starts_at - {{ tolerance }} < unlinked.ends_at
        and case
            when unlinked.report_kind = 'traffic_order' and unlinked.report_reason = 'tournage'
                then records.nature = 'tournage'
            when unlinked.report_kind = 'traffic_order' and unlinked.report_reason = 'marche'
                then records.nature_family = 'commerce'
            when unlinked.report_kind = 'traffic_order' and unlinked.report_reason = 'autre'
                then records.nature = 'visite_officielle'
            -- the city's own events carry their id: an order for an event without one serves a
            -- Préfecture demonstration
            when unlinked.report_kind = 'traffic_order' and unlinked.report_reason = 'evenement'
                then records.source_dataset = 'prefecture__manifestations'
            when unlinked.report_kind = 'traffic_order' and unlinked.report_reason = 'chantier'
                then false
            when unlinked.report_kind = 'rtm_disruption' and unlinked.report_reason = 'manifestation'
                then records.source_dataset = 'prefecture__manifestations'
            when unlinked.report_kind = 'rtm_disruption'
                then records.source_dataset <> 'prefecture__manifestations'
            else true
        end

),

nearest as (

    select
        source_dataset,
        source_record_id,
        arg_min(record_id, (time_gap_h + match_distance_m / 1000.0, record_id)) as matched_record_id,
        min(match_distance_m) as match_distance_m
    from candidates
    where match_distance_m <= max_distance_m and time_gap_h <= {{ var('report_max_time_gap_hours') }}
    group by source_dataset, source_record_id

),

matched as (

    select
        source_dataset,
        source_record_id,
        matched_record_id,
        'linked' as match_rule,
        cast(null as double) as match_distance_m
    from linked
    union all
    select
        source_dataset,
        source_record_id,
        matched_record_id,
        'nearest' as match_rule,
        match_distance_m
    from nearest

),

final as (

    select
        reports.source_partner || ':' || reports.source_dataset || ':' || reports.source_record_id as report_id,
        reports.source_partner,
        reports.source_dataset,
        reports.source_record_id,
        reports.report_kind,
        reports.report_reason,
        record_matches.primary_record_id,
        matched.matched_record_id,
        matched.match_rule,
        matched.match_distance_m,
        reports.police_staff
    from reports
    inner join matched
        on reports.source_dataset = matched.source_dataset
        and reports.source_record_id = matched.source_record_id
    inner join record_matches on matched.matched_record_id = record_matches.record_id

)

select * from final
