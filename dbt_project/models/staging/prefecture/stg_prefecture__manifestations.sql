with

source as (

    select * from {{ source('prefecture', 'manifestations') }}

),

renamed as (

    select
        cast("ID_CORTEGE" as varchar) as demonstration_id,
        cast("DATE_DEBUT" as timestamptz) as starts_at,
        cast("DATE_FIN" as timestamptz) as ends_at,
        cast("TYPE" as varchar) as demonstration_type,
        cast("THEME" as varchar) as theme,
        cast("FORME" as varchar) as form,
        cast("LIEU_DEPART" as varchar) as start_place_name,
        cast("ARRONDISSEMENT_DEPART" as integer) as start_arrondissement,
        cast("LAT_DEPART" as double) as start_latitude,
        cast("LON_DEPART" as double) as start_longitude,
        cast("LIEU_ARRIVEE" as varchar) as end_place_name,
        cast("LAT_ARRIVEE" as double) as end_latitude,
        cast("LON_ARRIVEE" as double) as end_longitude,
        cast("PARTICIPANTS_DECLARES" as bigint) as participants_declared,
        cast("PARTICIPANTS_CONSTATES" as bigint) as participants_counted,
        cast("EFFECTIFS_FDO" as integer) as police_staff,
        cast("STATUT" as varchar) as status_code,
        cast(_delivery_id as varchar) as delivery_id,
        cast(_loaded_at as timestamptz) as loaded_at
    from source

)

select * from renamed
