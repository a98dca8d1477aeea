with

natures as (

    select * from {{ ref('natures') }}

),

events as (

    select nature, count(*) as event_count from {{ ref('int_event_footprint_imputed') }} group by nature

),

final as (

    select
        cast(natures.nature as varchar) as nature,
        cast(natures.nature_family as varchar) as nature_family,
        cast(natures.label_fr as varchar) as label_fr,
        cast(natures.label_en as varchar) as label_en,
        cast(coalesce(events.event_count, 0) as bigint) as event_count
    from natures
    left join events on natures.nature = events.nature

)

select * from final
