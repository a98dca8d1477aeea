{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['period_starts_at', 'direction'],
        on_schema_change='fail'
    )
}}

with

source as (

    select * from {{ source('smtpc', 'comptages') }}
    {% if is_incremental() %}
        where _loaded_at > (select coalesce(max(existing.loaded_at), '-infinity'::timestamptz) from {{ this }} as existing)
    {% endif %}

),

renamed as (

    select
        cast(horodatage as timestamptz) as period_starts_at,
        cast(sens as varchar) as direction,
        cast(vehicules as integer) as vehicles,
        cast(vitesse_moy_kmh as double) as mean_speed_kmh,
        cast(taux_occupation_pct as double) as occupancy_pct,
        cast(_delivery_id as varchar) as delivery_id,
        cast(_loaded_at as timestamptz) as loaded_at
    from source

)

select * from renamed
