{#-
  The 200 m cells whose centre lies within police_cell_radius_m of an event: of its venue, or of any
  point of a cortège's route (sampled every 100 m from start to arrival). Efficient grid join: each
  sample point is projected to EPSG:3035, the (2k+1)^2 cells around it (k = ceil((R + 100) / 200)) are
  enumerated arithmetically and equi-joined to the known cells; the exact great-circle distance to
  the cell centre then filters them. No cartesian product between events and cells.
  `events`: event_id, route_start_latitude/longitude, route_end_latitude/longitude (NULL: a venue),
  route_length_m; `cells`: int_police_activity_cells_located. A query with event_id, cell_key, cell_id,
  distance_m (used by int_police_activity_cells_near_events and int_event_outcomes_police).
-#}
{% macro cells_near_events(events, cells) -%}
{%- set k = (((var('police_cell_radius_m') + 100) / 200) | round(0, 'ceil') | int) -%}
    select
        candidate_cells.event_id,
        near_cells.cell_key,
        near_cells.cell_id,
        min({{ distance_m('candidate_cells.latitude', 'candidate_cells.longitude',
                          'near_cells.centre_latitude', 'near_cells.centre_longitude') }}) as distance_m
    from (
        select
            projected.event_id,
            projected.latitude,
            projected.longitude,
            (projected.base_northing_m + 200 * dn.offset_cells) * 10000000
            + (projected.base_easting_m + 200 * de.offset_cells) as cell_key
        from (
            select
                event_id,
                latitude,
                longitude,
                cast(floor({{ wgs84_to_epsg3035_easting('latitude', 'longitude') }} / 200) * 200 as bigint) as base_easting_m,
                cast(floor({{ wgs84_to_epsg3035_northing('latitude', 'longitude') }} / 200) * 200 as bigint) as base_northing_m
            from (
                select
                    event_id,
                    route_start_latitude + (route_end_latitude - route_start_latitude) * step / steps as latitude,
                    route_start_longitude + (route_end_longitude - route_start_longitude) * step / steps as longitude
                from (
                    select
                        *,
                        unnest(generate_series(0, case when has_route then steps else 0 end)) as step
                    from (
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
                        from {{ events }}
                    ) as routes
                ) as route_steps
            ) as sample_points
        ) as projected
        cross join (select unnest(generate_series(-{{ k }}, {{ k }})) as offset_cells) as dn
        cross join (select unnest(generate_series(-{{ k }}, {{ k }})) as offset_cells) as de
    ) as candidate_cells
    inner join {{ cells }} as near_cells on candidate_cells.cell_key = near_cells.cell_key
    where
        {{ distance_m('candidate_cells.latitude', 'candidate_cells.longitude',
                      'near_cells.centre_latitude', 'near_cells.centre_longitude') }} <= {{ var('police_cell_radius_m') }}
    group by candidate_cells.event_id, near_cells.cell_key, near_cells.cell_id
{%- endmacro %}
