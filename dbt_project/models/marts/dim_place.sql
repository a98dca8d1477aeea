-- Places where events happen: one row per place name and arrondissement, at the median position of
-- its events (a venue's events share a position; demonstration starts vary slightly).

with

events as (

    select * from {{ ref('int_event_footprint_imputed') }}

),

final as (

    select
        cast(md5(coalesce(place_name, '') || '|' || arrondissement) as varchar) as place_id,
        cast(place_name as varchar) as place_name,
        cast(median(latitude) as double) as latitude,
        cast(median(longitude) as double) as longitude,
        cast(arrondissement as integer) as arrondissement,
        cast(any_value(sector) as integer) as sector,
        cast(count(*) as bigint) as event_count,
        cast(min(starts_at) as timestamptz) as first_event_at,
        cast(max(starts_at) as timestamptz) as last_event_at
    from events
    group by place_name, arrondissement

)

select * from final
