with

source as (

    select * from {{ source('prefecture', 'visites_officielles') }}

),

renamed as (

    select
        cast("ID_VISITE" as varchar) as visit_id,
        cast("DATE_DEBUT" as timestamptz) as starts_at,
        cast("DATE_FIN" as timestamptz) as ends_at,
        cast("NIVEAU" as varchar) as protocol_level,
        cast("LIEU" as varchar) as place_name,
        cast("ARRONDISSEMENT" as integer) as arrondissement,
        cast("LAT" as double) as latitude,
        cast("LON" as double) as longitude,
        cast("PERIMETRE_SECURITE_M" as integer) as security_perimeter_m,
        cast("EFFECTIFS_FDO" as integer) as police_staff,
        cast(_delivery_id as varchar) as delivery_id,
        cast(_loaded_at as timestamptz) as loaded_at
    from source

)

select * from renamed
