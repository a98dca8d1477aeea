with

source as (

    select * from {{ source('ville', 'evenements') }}

),

renamed as (

    select
        cast(id as varchar) as city_event_id,
        cast(intitule as varchar) as title,
        cast(nature as varchar) as nature,
        cast(lieu as varchar) as place_name,
        cast(arrondissement as integer) as arrondissement,
        cast(latitude as double) as latitude,
        cast(longitude as double) as longitude,
        cast(debut as timestamptz) as starts_at,
        cast(fin as timestamptz) as ends_at,
        cast(jauge as bigint) as expected_participants,
        cast(emprise_m2 as double) as emprise_m2,
        cast(organisateur_type as varchar) as organiser_type,
        cast(statut as varchar) as status_code,
        cast(maj as timestamptz) as updated_at,
        cast(_delivery_id as varchar) as delivery_id,
        cast(_loaded_at as timestamptz) as loaded_at
    from source

)

select * from renamed
