{{ config(materialized='view') }}
-- One row per real-world event: the primary record's identity, time and place, the best reported
-- participants of the cluster (police count > organisers' declaration > city's expected gauge), the
-- cortège route if a demonstration is part of it, the Préfecture staff of the cluster and its reports,
-- and the list of partner records (events and reports) behind it.
-- A view: its only reader is int_event_footprint_imputed (one row per row of this view, so that model's
-- key test covers this one), which saves storing and rewriting it on every build.

with

records as (

    select * from {{ ref('int_events_unioned') }}

),

record_matches as (

    select * from {{ ref('int_event_records_matched') }}

),

reports as (

    select * from {{ ref('int_event_reports_matched') }}

),

members as (

    select
        record_matches.primary_record_id,
        records.*
    from records
    inner join record_matches on records.record_id = record_matches.record_id

),

cluster_attributes as (

    select
        primary_record_id,
        -- ties (two records of one kind) go to the first record id, so that every run picks the same
        arg_min(
            participants_reported,
            (
                case participants_reported_kind when 'counted' then -3 when 'declared' then -2 when 'expected' then -1 else 0 end,
                record_id
            )
        ) filter (where participants_reported is not null) as participants_reported,
        max_by(participants_reported_kind,
            case participants_reported_kind when 'counted' then 3 when 'declared' then 2 when 'expected' then 1 else 0 end
        ) filter (where participants_reported is not null) as participants_reported_kind,
        max(emprise_reported_m2) filter (where source_dataset = 'ville__evenements') as emprise_reported_m2,
        -- the route of the first cortège of the cluster (all four coordinates from the same record)
        arg_min(end_latitude, (source_rank, record_id)) filter (where form = 'cortege') as route_end_latitude,
        arg_min(end_longitude, (source_rank, record_id)) filter (where form = 'cortege') as route_end_longitude,
        arg_min(latitude, (source_rank, record_id)) filter (where form = 'cortege') as route_start_latitude,
        arg_min(longitude, (source_rank, record_id)) filter (where form = 'cortege') as route_start_longitude,
        bool_or(form = 'static') and not bool_or(form = 'cortege') as is_static_gathering,
        max(security_perimeter_m) as security_perimeter_m,
        coalesce(sum(police_staff), 0) as police_staff_records,
        count(*) as record_count,
        -- in rank then id order (list_sort of structs: an ordered aggregate is several times slower)
        list_transform(list_sort(list({ 'rank': source_rank, 'id': record_id })), record -> record.id) as record_ids,
        list(distinct source_partner) as record_partners
    from members
    group by primary_record_id

),

cluster_reports as (

    select
        primary_record_id,
        coalesce(sum(police_staff), 0) as police_staff_operations,
        count(*) as report_count,
        list_sort(list(report_id)) as report_ids,
        list(distinct source_partner) as report_partners
    from reports
    group by primary_record_id

),

final as (

    select
        md5(primaries.record_id) as event_id,
        primaries.record_id as primary_record_id,
        primaries.source_dataset as primary_source_dataset,
        primaries.nature,
        primaries.nature_family,
        primaries.place_name,
        -- a cortège is placed at its start; its route is kept for footprint and outcomes
        primaries.latitude,
        primaries.longitude,
        coalesce(cluster_attributes.route_start_latitude, primaries.latitude) as route_start_latitude,
        coalesce(cluster_attributes.route_start_longitude, primaries.longitude) as route_start_longitude,
        cluster_attributes.route_end_latitude,
        cluster_attributes.route_end_longitude,
        primaries.arrondissement,
        primaries.starts_at,
        primaries.ends_at,
        primaries.form,
        cluster_attributes.is_static_gathering,
        cluster_attributes.participants_reported,
        cluster_attributes.participants_reported_kind,
        cluster_attributes.emprise_reported_m2,
        cluster_attributes.security_perimeter_m,
        primaries.status,
        primaries.took_place,
        cluster_attributes.police_staff_records,
        coalesce(cluster_reports.police_staff_operations, 0) as police_staff_operations,
        array_to_string(
            list_sort(list_distinct(list_concat(cluster_attributes.record_partners, coalesce(cluster_reports.report_partners, [])))),
            ','
        ) as source_partners,
        array_to_string(
            list_concat(cluster_attributes.record_ids, coalesce(cluster_reports.report_ids, [])),
            ','
        ) as source_ids,
        cast(cluster_attributes.record_count + coalesce(cluster_reports.report_count, 0) as integer) as source_count
    from records as primaries
    inner join record_matches
        on primaries.record_id = record_matches.record_id
        and record_matches.is_primary
    inner join cluster_attributes on primaries.record_id = cluster_attributes.primary_record_id
    left join cluster_reports on primaries.record_id = cluster_reports.primary_record_id

)

select * from final
