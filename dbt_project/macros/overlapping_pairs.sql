{#-
  Pairs of rows of two relations whose time intervals [start, end) overlap and (optionally) whose
  places are near each other, as a subquery with columns left_key and right_key, each pair once.

  Why not a plain range join: DuckDB picks IEJoin or a piecewise merge join from cardinality estimates,
  and a wrong estimate (after a filter) makes it quadratic; and checking exact distances on every
  overlapping pair wastes time. Here each row is expanded to the UTC days it covers (integer day numbers: timestamp series are slow) and, when
  left_bounds / right_bounds are given, to the spatial buckets it may reach (bucket index bounds built by
  spatial_bounds_of_segment below); rows are hash-joined on (day, bucket). A pair meets on the day of the
  later start only (that instant lies in both intervals). Cost: linear in rows x days x buckets.
  Callers still check the exact distance; buckets only discard pairs that are surely too far apart.
-#}
{% macro overlapping_pairs(left_relation, left_key, left_start, left_end, right_relation, right_key, right_start, right_end, left_bounds=none, right_bounds=none) -%}
{%- set no_bounds = ['0', '0', '0', '0'] -%}
{%- set lb = left_bounds if left_bounds is not none else no_bounds -%}
{%- set rb = right_bounds if right_bounds is not none else no_bounds -%}
(
    with

    left_lat as (

        select
            {{ left_key }} as left_key,
            {{ left_start }} as left_starts_at,
            {{ left_end }} as left_ends_at,
            {{ lb[2] }} as bucket_lon_low,
            {{ lb[3] }} as bucket_lon_high,
            unnest(generate_series({{ lb[0] }}, {{ lb[1] }})) as bucket_lat
        from {{ left_relation }}

    ),

    left_cells as (

        select
            *,
            unnest(generate_series(bucket_lon_low, bucket_lon_high)) as bucket_lon
        from left_lat

    ),

    left_days as (

        select
            left_key,
            left_starts_at,
            left_ends_at,
            bucket_lat * 100000 + bucket_lon as bucket_cell,
            unnest(generate_series(
                cast(floor(epoch(left_starts_at) / 86400) as bigint),
                cast(floor(epoch(greatest(left_starts_at, left_ends_at)) / 86400) as bigint)
            )) as bucket_day
        from left_cells

    ),

    right_lat as (

        select
            {{ right_key }} as right_key,
            {{ right_start }} as right_starts_at,
            {{ right_end }} as right_ends_at,
            {{ rb[2] }} as bucket_lon_low,
            {{ rb[3] }} as bucket_lon_high,
            unnest(generate_series({{ rb[0] }}, {{ rb[1] }})) as bucket_lat
        from {{ right_relation }}

    ),

    right_cells as (

        select
            *,
            unnest(generate_series(bucket_lon_low, bucket_lon_high)) as bucket_lon
        from right_lat

    ),

    right_days as (

        select
            right_key,
            right_starts_at,
            right_ends_at,
            bucket_lat * 100000 + bucket_lon as bucket_cell,
            unnest(generate_series(
                cast(floor(epoch(right_starts_at) / 86400) as bigint),
                cast(floor(epoch(greatest(right_starts_at, right_ends_at)) / 86400) as bigint)
            )) as bucket_day
        from right_cells

    )

    select distinct
        left_days.left_key,
        right_days.right_key
    from left_days
    inner join right_days
        on left_days.bucket_day = right_days.bucket_day
        and left_days.bucket_cell = right_days.bucket_cell
    where
        left_days.left_starts_at < right_days.right_ends_at
        and right_days.right_starts_at < left_days.left_ends_at
        and left_days.bucket_day = cast(floor(epoch(greatest(left_days.left_starts_at, right_days.right_starts_at)) / 86400) as bigint)

)
{%- endmacro %}

{#-
  Bounds [lat_low, lat_high, lon_low, lon_high] of the spatial buckets (0.01 degree squares, about
  1.1 km x 0.8 km in Marseille; bucket id = lat_index * 100000 + lon_index) that a point or segment
  (end may be null), widened by margin_m metres, touches. One degree of latitude is 111 195 m; one of
  longitude is at least 78 000 m below 45.4 N (the margins are generous, never too small).
-#}
{% macro spatial_bounds_of_segment(start_latitude, start_longitude, end_latitude, end_longitude, margin_m=0) -%}
    {%- set min_lat = 'least(' ~ start_latitude ~ ', coalesce(' ~ end_latitude ~ ', ' ~ start_latitude ~ '))' -%}
    {%- set max_lat = 'greatest(' ~ start_latitude ~ ', coalesce(' ~ end_latitude ~ ', ' ~ start_latitude ~ '))' -%}
    {%- set min_lon = 'least(' ~ start_longitude ~ ', coalesce(' ~ end_longitude ~ ', ' ~ start_longitude ~ '))' -%}
    {%- set max_lon = 'greatest(' ~ start_longitude ~ ', coalesce(' ~ end_longitude ~ ', ' ~ start_longitude ~ '))' -%}
    {{ return([
        'cast(floor((' ~ min_lat ~ ' - ' ~ margin_m ~ ' / 111000.0) / 0.01) as bigint)',
        'cast(floor((' ~ max_lat ~ ' + ' ~ margin_m ~ ' / 111000.0) / 0.01) as bigint)',
        'cast(floor((' ~ min_lon ~ ' - ' ~ margin_m ~ ' / 78000.0) / 0.01) as bigint)',
        'cast(floor((' ~ max_lon ~ ' + ' ~ margin_m ~ ' / 78000.0) / 0.01) as bigint)',
    ]) }}
{%- endmacro %}
