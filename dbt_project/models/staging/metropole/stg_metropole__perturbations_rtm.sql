with

source as (

    select * from {{ source('metropole', 'perturbations_rtm') }}

),

renamed as (

    select
        cast(id as varchar) as disruption_id,
        cast(ligne as varchar) as line,
        cast(mode as varchar) as transport_mode,
        cast(debut as timestamptz) as starts_at,
        cast(fin as timestamptz) as ends_at,
        cast(type as varchar) as disruption_type,
        cast(cause as varchar) as cause,
        cast(arret as varchar) as stop_name,
        cast(latitude as double) as latitude,
        cast(longitude as double) as longitude,
        cast(_delivery_id as varchar) as delivery_id,
        cast(_loaded_at as timestamptz) as loaded_at
    from source

)

select * from renamed
