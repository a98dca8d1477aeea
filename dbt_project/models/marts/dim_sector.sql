with

sectors as (

    select * from {{ ref('sectors') }}

),

final as (

    select
        cast(sector as integer) as sector,
        cast(label_fr as varchar) as label_fr,
        cast(label_en as varchar) as label_en,
        cast(arrondissements as varchar) as arrondissements
    from sectors

)

select * from final
