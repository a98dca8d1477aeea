with

events as (

    select * from {{ ref('int_event_footprint_imputed') }}

),

police as (

    select * from {{ ref('int_event_outcomes_police') }}

),

tunnel as (

    select * from {{ ref('int_event_outcomes_tunnel') }}

),

rtm as (

    select * from {{ ref('int_event_outcomes_rtm') }}

),

conflicts as (

    select event_id, count(*) as conflict_count
    from {{ ref('int_event_conflicts') }}
    group by event_id

),

outcomes as (

    select
        events.*,
        coalesce(police.offences_atteinte_biens, 0) as n_atteinte_biens,
        coalesce(police.offences_atteinte_personnes, 0) as n_atteinte_personnes,
        coalesce(police.offences_tranquillite, 0) as n_tranquillite,
        coalesce(police.offences_circulation, 0) as n_circulation,
        coalesce(police.offences_stationnement, 0) as n_stationnement,
        coalesce(police.offences_environnement, 0) as n_environnement,
        coalesce(police.interventions_total, 0) as n_interventions,
        coalesce(police.agents_municipal, 0) as n_agents_municipal,
        -- small cells: counts of offences against persons from 1 to k-1 are not published (DESIGN §6);
        -- a zero concerns nobody and stays, as the publish gate's rule says
        coalesce(police.offences_atteinte_personnes, 0)
        between 1 and {{ var('small_cell_k') }} - 1 as personnes_suppressed,
        tunnel.tunnel_vehicles,
        tunnel.tunnel_vehicles_usual,
        tunnel.tunnel_traffic_deviation_pct,
        tunnel.tunnel_incidents,
        tunnel.tunnel_closures,
        coalesce(rtm.rtm_disruptions, 0) as n_rtm_disruptions,
        coalesce(conflicts.conflict_count, 0) as n_conflicts
    from events
    left join police on events.event_id = police.event_id
    left join tunnel on events.event_id = tunnel.event_id
    left join rtm on events.event_id = rtm.event_id
    left join conflicts on events.event_id = conflicts.event_id

),

final as (

    select
        cast(event_id as varchar) as event_id,
        cast(nature as varchar) as nature,
        cast(nature_family as varchar) as nature_family,
        cast(place_name as varchar) as place_name,
        cast(latitude as double) as latitude,
        cast(longitude as double) as longitude,
        cast(arrondissement as integer) as arrondissement,
        cast(sector as integer) as sector,
        cast(starts_at as timestamptz) as starts_at,
        cast(ends_at as timestamptz) as ends_at,
        cast(ends_at_imputed as boolean) as ends_at_imputed,
        cast(duration_hours as double) as duration_hours,
        cast(participants as bigint) as participants,
        cast(participants_imputed as boolean) as participants_imputed,
        cast(participants_method as varchar) as participants_method,
        cast(emprise_m2 as double) as emprise_m2,
        cast(emprise_imputed as boolean) as emprise_imputed,
        cast(emprise_method as varchar) as emprise_method,
        cast(route_length_m as double) as route_length_m,
        cast(is_weekend as boolean) as is_weekend,
        cast(is_summer as boolean) as is_summer,
        cast(status as varchar) as status,
        cast(took_place as boolean) as took_place,
        cast(source_partners as varchar) as source_partners,
        cast(source_ids as varchar) as source_ids,
        cast(source_count as integer) as source_count,
        cast(primary_record_id as varchar) as primary_source_id,
        -- offences_total is the sum of the published category counts (a suppressed count adds 0),
        -- so that no difference of published figures can reveal a suppressed one
        cast(
            n_atteinte_biens + n_tranquillite + n_circulation + n_stationnement + n_environnement
            + case when personnes_suppressed then 0 else n_atteinte_personnes end
            as integer
        ) as offences_total,
        cast(n_atteinte_biens as integer) as offences_atteinte_biens,
        cast(case when personnes_suppressed then null else n_atteinte_personnes end as integer)
        as offences_atteinte_personnes,
        cast(personnes_suppressed as boolean) as offences_atteinte_personnes_suppressed,
        cast(n_tranquillite as integer) as offences_tranquillite,
        cast(n_circulation as integer) as offences_circulation,
        cast(n_stationnement as integer) as offences_stationnement,
        cast(n_environnement as integer) as offences_environnement,
        cast(n_interventions as integer) as interventions_total,
        cast(n_agents_municipal as integer) as agents_municipal,
        cast(police_staff_records + police_staff_operations as integer) as agents_prefecture,
        cast(n_agents_municipal + police_staff_records + police_staff_operations as integer) as agents_total,
        cast(tunnel_vehicles as bigint) as tunnel_vehicles,
        cast(tunnel_vehicles_usual as bigint) as tunnel_vehicles_usual,
        cast(tunnel_traffic_deviation_pct as double) as tunnel_traffic_deviation_pct,
        cast(coalesce(tunnel_incidents, 0) as integer) as tunnel_incidents,
        cast(coalesce(tunnel_closures, 0) as integer) as tunnel_closures,
        cast(n_rtm_disruptions as integer) as rtm_disruptions,
        cast(n_conflicts as integer) as conflict_count
    from outcomes

)

select * from final
