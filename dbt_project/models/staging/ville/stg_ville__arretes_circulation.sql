with

source as (

    select * from {{ source('ville', 'arretes_circulation') }}

),

renamed as (

    select
        cast(id as varchar) as traffic_order_id,
        cast(numero_arrete as varchar) as order_number,
        cast(motif as varchar) as reason,
        cast(evenement_id as varchar) as city_event_id,
        cast(voie as varchar) as street_name,
        cast(arrondissement as integer) as arrondissement,
        cast(latitude as double) as latitude,
        cast(longitude as double) as longitude,
        cast(debut as timestamptz) as starts_at,
        cast(fin as timestamptz) as ends_at,
        cast(mesure as varchar) as measure,
        cast(maj as timestamptz) as updated_at,
        cast(_delivery_id as varchar) as delivery_id,
        cast(_loaded_at as timestamptz) as loaded_at
    from source

)

select * from renamed
