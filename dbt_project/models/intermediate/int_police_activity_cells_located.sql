{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='cell_id'
    )
}}
-- Each 200 m INSPIRE cell seen in the police activity, with its centre in WGS84. The INSEE id gives
-- the lower-left corner in EPSG:3035 (LAEA Europe); the centre is corner + 100 m on both axes,
-- converted with the inverse ellipsoidal LAEA projection (macros/geo.sql, checked against pyproj),
-- rounded to 1e-7 degree (about 1 cm).

with

activity as (

    select * from {{ ref('stg_ville__activite_police_municipale') }}
    {% if is_incremental() %}
        where cell_id not in (select existing.cell_id from {{ this }} as existing)
    {% endif %}

),

cells as (

    select distinct
        cell_id,
        cell_northing_m,
        cell_easting_m
    from activity

),

final as (

    select
        cell_id,
        cast(cell_northing_m as bigint) * 10000000 + cell_easting_m as cell_key,
        cell_northing_m,
        cell_easting_m,
        round({{ epsg3035_to_latitude('cell_easting_m + 100.0', 'cell_northing_m + 100.0') }}, 7) as centre_latitude,
        round({{ epsg3035_to_longitude('cell_easting_m + 100.0', 'cell_northing_m + 100.0') }}, 7) as centre_longitude
    from cells

)

select * from final
