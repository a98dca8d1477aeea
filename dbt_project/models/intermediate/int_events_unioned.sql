-- Every partner record that can be an event in its own right, in one shape: city events, Préfecture
-- demonstrations (cortèges and static gatherings), official visits and DataTourisme events in
-- Marseille. Traffic orders, RTM disruptions and police operations are not here: they only ever
-- report or serve an event (int_event_reports_matched).

with

city_events as (

    select * from {{ ref('stg_ville__evenements') }}

),

demonstrations as (

    select * from {{ ref('stg_prefecture__manifestations') }}

),

visits as (

    select * from {{ ref('stg_prefecture__visites_officielles') }}

),

datatourisme as (

    select * from {{ ref('stg_metropole__datatourisme_poi') }}

),

datatourisme_categories as (

    select * from {{ ref('datatourisme_categories') }}

),

natures as (

    select * from {{ ref('natures') }}

),

status_codes as (

    select * from {{ ref('status_codes') }}

),

arrondissements as (

    select * from {{ ref('arrondissements') }}

),

city_records as (

    select
        'ville' as source_partner,
        'ville__evenements' as source_dataset,
        city_event_id as source_record_id,
        1 as source_rank,
        title,
        nature,
        place_name,
        latitude,
        longitude,
        cast(null as double) as end_latitude,
        cast(null as double) as end_longitude,
        arrondissement,
        starts_at,
        ends_at,
        expected_participants as participants_reported,
        case when expected_participants is not null then 'expected' end as participants_reported_kind,
        emprise_m2 as emprise_reported_m2,
        'venue' as form,
        status_code,
        cast(null as integer) as police_staff,
        cast(null as integer) as security_perimeter_m
    from city_events

),

demonstration_records as (

    select
        'prefecture' as source_partner,
        'prefecture__manifestations' as source_dataset,
        demonstration_id as source_record_id,
        2 as source_rank,
        theme as title,
        case demonstration_type
            when 'REVENDICATIVE' then 'manifestation_revendicative'
            when 'FESTIVE' then 'manifestation_festive'
            when 'SPORTIVE' then 'manifestation_sportive'
            when 'COMMEMORATIVE' then 'commemoration'
            when 'RELIGIEUSE' then 'manifestation_religieuse'
        end as nature,
        start_place_name as place_name,
        start_latitude as latitude,
        start_longitude as longitude,
        case when form = 'CORTEGE' then end_latitude end as end_latitude,
        case when form = 'CORTEGE' then end_longitude end as end_longitude,
        start_arrondissement as arrondissement,
        starts_at,
        ends_at,
        coalesce(participants_counted, participants_declared) as participants_reported,
        case
            when participants_counted is not null then 'counted'
            when participants_declared is not null then 'declared'
        end as participants_reported_kind,
        cast(null as double) as emprise_reported_m2,
        case when form = 'CORTEGE' then 'cortege' else 'static' end as form,
        status_code,
        police_staff,
        cast(null as integer) as security_perimeter_m
    from demonstrations

),

visit_records as (

    select
        'prefecture' as source_partner,
        'prefecture__visites_officielles' as source_dataset,
        visit_id as source_record_id,
        3 as source_rank,
        cast(null as varchar) as title,
        'visite_officielle' as nature,
        place_name,
        latitude,
        longitude,
        cast(null as double) as end_latitude,
        cast(null as double) as end_longitude,
        arrondissement,
        starts_at,
        ends_at,
        cast(null as bigint) as participants_reported,
        cast(null as varchar) as participants_reported_kind,
        cast(null as double) as emprise_reported_m2,
        'perimeter' as form,
        cast(null as varchar) as status_code,
        police_staff,
        security_perimeter_m
    from visits

),

datatourisme_events as (

    select
        *,
        lower(strip_accents(trim(coalesce(category_level2, '')))) as category_key
    from datatourisme
    where
        category_level1 = 'Fête et manifestation'
        and starts_at is not null
        and (
            insee_code between '13201' and '13216'
            or insee_code = '13055'
            or postal_code between '13001' and '13016'
        )

),

datatourisme_natures as (

    -- exact key first, else the longest listed key contained in the category, else 'animation'
    select
        datatourisme_events.poi_id,
        coalesce(
            arg_max(datatourisme_categories.nature, (
                length(datatourisme_categories.category_key)
                + case when datatourisme_categories.category_key = datatourisme_events.category_key then 1000 else 0 end,
                datatourisme_categories.category_key
            )),
            'animation'
        ) as nature
    from datatourisme_events
    left join datatourisme_categories
        on contains(datatourisme_events.category_key, datatourisme_categories.category_key)
    group by datatourisme_events.poi_id

),

datatourisme_located as (

    -- arrondissement from the postal code (13001-13016), else the nearest arrondissement centroid
    select
        datatourisme_events.poi_id,
        arg_min(
            arrondissements.arrondissement,
            case
                when datatourisme_events.postal_code = arrondissements.postal_code then -1
                else {{ distance_m('datatourisme_events.latitude', 'datatourisme_events.longitude',
                                   'arrondissements.centroid_latitude', 'arrondissements.centroid_longitude') }}
            end
        ) as arrondissement
    from datatourisme_events
    cross join arrondissements
    group by datatourisme_events.poi_id

),

datatourisme_records as (

    select
        'metropole' as source_partner,
        'metropole__datatourisme_poi' as source_dataset,
        datatourisme_events.poi_id as source_record_id,
        4 as source_rank,
        datatourisme_events.poi_name as title,
        datatourisme_natures.nature,
        datatourisme_events.poi_name as place_name,
        datatourisme_events.latitude,
        datatourisme_events.longitude,
        cast(null as double) as end_latitude,
        cast(null as double) as end_longitude,
        datatourisme_located.arrondissement,
        datatourisme_events.starts_at,
        datatourisme_events.ends_at,
        cast(null as bigint) as participants_reported,
        cast(null as varchar) as participants_reported_kind,
        cast(null as double) as emprise_reported_m2,
        'venue' as form,
        cast(null as varchar) as status_code,
        cast(null as integer) as police_staff,
        cast(null as integer) as security_perimeter_m
    from datatourisme_events
    inner join datatourisme_natures on datatourisme_events.poi_id = datatourisme_natures.poi_id
    inner join datatourisme_located on datatourisme_events.poi_id = datatourisme_located.poi_id

),

unioned as (

    select * from city_records
    union all
    select * from demonstration_records
    union all
    select * from visit_records
    union all
    select * from datatourisme_records

),

final as (

    select
        unioned.source_partner || ':' || unioned.source_dataset || ':' || unioned.source_record_id as record_id,
        unioned.source_partner,
        unioned.source_dataset,
        unioned.source_record_id,
        unioned.source_rank,
        unioned.title,
        -- lower case, no accents, punctuation as spaces: what title comparisons use
        trim(regexp_replace(lower(strip_accents(coalesce(unioned.title, ''))), '[^a-z0-9]+', ' ', 'g')) as title_key,
        unioned.nature,
        natures.nature_family,
        unioned.place_name,
        unioned.latitude,
        unioned.longitude,
        unioned.end_latitude,
        unioned.end_longitude,
        unioned.arrondissement,
        unioned.starts_at,
        unioned.ends_at,
        unioned.participants_reported,
        unioned.participants_reported_kind,
        unioned.emprise_reported_m2,
        unioned.form,
        unioned.status_code,
        coalesce(status_codes.status, case when coalesce(unioned.ends_at, unioned.starts_at) < current_timestamp then 'completed' else 'announced' end) as status,
        coalesce(status_codes.took_place, true) as took_place,
        unioned.police_staff,
        unioned.security_perimeter_m
    from unioned
    left join natures on unioned.nature = natures.nature
    left join status_codes
        on unioned.source_dataset = status_codes.source_dataset
        and unioned.status_code = status_codes.status_code

)

select * from final
