with

source as (

    select * from {{ source('prefecture', 'operations_programmees') }}

),

renamed as (

    select
        cast("ID_OPERATION" as varchar) as operation_id,
        cast("DATE_DEBUT" as timestamptz) as starts_at,
        cast("DATE_FIN" as timestamptz) as ends_at,
        cast("TYPE_OPERATION" as varchar) as operation_type,
        cast("ARRONDISSEMENT" as integer) as arrondissement,
        cast("LAT" as double) as latitude,
        cast("LON" as double) as longitude,
        cast("EFFECTIFS" as integer) as police_staff,
        cast("EVENEMENT_LIE" as varchar) as linked_event_id,
        cast(_delivery_id as varchar) as delivery_id,
        cast(_loaded_at as timestamptz) as loaded_at
    from source

)

select * from renamed
