with

source as (

    select * from {{ source('smtpc', 'evenements_tunnel') }}

),

renamed as (

    select
        cast(id as varchar) as tunnel_incident_id,
        cast(debut as timestamptz) as starts_at,
        cast(fin as timestamptz) as ends_at,
        cast(sens as varchar) as direction,
        cast(type as varchar) as incident_type,
        cast(voies_fermees as integer) as lanes_closed,
        cast(_delivery_id as varchar) as delivery_id,
        cast(_loaded_at as timestamptz) as loaded_at
    from source

)

select * from renamed
