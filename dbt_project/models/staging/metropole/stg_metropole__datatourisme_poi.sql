with

source as (

    select * from {{ source('metropole', 'datatourisme_poi') }}

),

renamed as (

    select
        cast(objectid as varchar) as poi_id,
        cast(nom_poi as varchar) as poi_name,
        cast(niv1_categorie as varchar) as category_level1,
        cast(niv2_categorie as varchar) as category_level2,
        cast(code_postal as varchar) as postal_code,
        cast(commune as varchar) as municipality,
        cast(codeinsee as varchar) as insee_code,
        cast(date_debut as timestamptz) as starts_at,
        cast(date_fin as timestamptz) as ends_at,
        cast(latitude as double) as latitude,
        cast(longitude as double) as longitude,
        cast(date_mise_a_jour as timestamptz) as updated_at,
        cast(_delivery_id as varchar) as delivery_id,
        cast(_loaded_at as timestamptz) as loaded_at
    from source

)

select * from renamed
