with

arrondissements as (

    select * from {{ ref('arrondissements') }}

),

final as (

    select
        cast(arrondissement as integer) as arrondissement,
        cast(label_fr as varchar) as label_fr,
        cast(insee_code as varchar) as insee_code,
        cast(postal_code as varchar) as postal_code,
        cast(sector as integer) as sector
    from arrondissements

)

select * from final
