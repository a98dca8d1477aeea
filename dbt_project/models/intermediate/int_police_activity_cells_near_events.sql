-- The 200 m cells whose centre lies within police_cell_radius_m of an event: of its venue, or of any
-- point of a cortège's route (sampled every 100 m from start to arrival). Efficient grid join: each
-- sample point is projected to EPSG:3035, the (2k+1)^2 cells around it (k = ceil((R + 100) / 200)) are
-- enumerated arithmetically and equi-joined to the known cells; the exact great-circle distance to
-- the cell centre then filters them. No cartesian product between events and cells.

{%- set k = (((var('police_cell_radius_m') + 100) / 200) | round(0, 'ceil') | int) %}

with

events as (

    select * from {{ ref('int_event_footprint_imputed') }}

),

cells as (

    select * from {{ ref('int_police_activity_cells_located') }}

),

routes as (

    select
        event_id,
        route_start_latitude,
        route_start_longitude,
        coalesce(route_end_latitude, route_start_latitude) as route_end_latitude,
        coalesce(route_end_longitude, route_start_longitude) as route_end_longitude,
        case
            when route_end_latitude is null then 1
            else greatest(1, cast(ceil(coalesce(route_length_m, 0) / 100.0) as integer))
        end as steps,
        route_end_latitude is not null as has_route
    from events

),

route_steps as (

    select
        *,
        unnest(generate_series(0, case when has_route then steps else 0 end)) as step
    from routes

),

sample_points as (

    select
        event_id,
        route_start_latitude + (route_end_latitude - route_start_latitude) * step / steps as latitude,
        route_start_longitude + (route_end_longitude - route_start_longitude) * step / steps as longitude
    from route_steps

),

projected as (

    select
        event_id,
        latitude,
        longitude,
        cast(floor({{ wgs84_to_epsg3035_easting('latitude', 'longitude') }} / 200) * 200 as bigint) as base_easting_m,
        cast(floor({{ wgs84_to_epsg3035_northing('latitude', 'longitude') }} / 200) * 200 as bigint) as base_northing_m
    from sample_points

),

candidate_cells as (

    select
        projected.event_id,
        projected.latitude,
        projected.longitude,
        (projected.base_northing_m + 200 * dn.offset_cells) * 10000000
        + (projected.base_easting_m + 200 * de.offset_cells) as cell_key
    from projected
    cross join (select unnest(generate_series(-{{ k }}, {{ k }})) as offset_cells) as dn
    cross join (select unnest(generate_series(-{{ k }}, {{ k }})) as offset_cells) as de

),

final as (

    select
        candidate_cells.event_id,
        cells.cell_key,
        cells.cell_id,
        min({{ distance_m('candidate_cells.latitude', 'candidate_cells.longitude',
                          'cells.centre_latitude', 'cells.centre_longitude') }}) as distance_m
    from candidate_cells
    inner join cells on candidate_cells.cell_key = cells.cell_key
    where
        {{ distance_m('candidate_cells.latitude', 'candidate_cells.longitude',
                      'cells.centre_latitude', 'cells.centre_longitude') }} <= {{ var('police_cell_radius_m') }}
    group by candidate_cells.event_id, cells.cell_key, cells.cell_id

)

select * from final
