{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['hour_starts_at', 'cell_id', 'category'],
        on_schema_change='fail'
    )
}}

with

source as (

    select * from {{ source('ville', 'activite_police_municipale') }}
    {% if is_incremental() %}
        where _loaded_at > (select coalesce(max(existing.loaded_at), '-infinity'::timestamptz) from {{ this }} as existing)
    {% endif %}

),

renamed as (

    select
        cast(heure as timestamptz) as hour_starts_at,
        cast(carreau as varchar) as cell_id,
        -- the INSEE id CRS3035RES200mN{northing}E{easting} carries the lower-left corner in metres
        cast(regexp_extract(carreau, 'N([0-9]+)E', 1) as integer) as cell_northing_m,
        cast(regexp_extract(carreau, 'E([0-9]+)$', 1) as integer) as cell_easting_m,
        cast(categorie as varchar) as category,
        cast(nb_faits as integer) as offences,
        cast(nb_interventions as integer) as interventions,
        cast(agents_engages as integer) as agents_engaged,
        cast(_delivery_id as varchar) as delivery_id,
        cast(_loaded_at as timestamptz) as loaded_at
    from source

)

select * from renamed
