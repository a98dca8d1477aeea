{#-
  Geodesy helpers, pure SQL (no extension needed).

  EPSG:3035 (ETRS89-extended / LAEA Europe) is the Lambert azimuthal equal-area projection on the
  GRS80 ellipsoid, latitude of origin 52°N, longitude of origin 10°E, false easting 4 321 000 m,
  false northing 3 210 000 m. Formulas: IOGP Guidance Note 7-2, §3.3.7 (Snyder 1987, pp. 187-190).
  Constants below are derived from a = 6 378 137 m and 1/f = 298.257222101:
    e2   = 0.006694380022900787          e = 0.08181919104281579
    qP   = 1.9955310874809387            (q at the pole)
    beta0 (authalic latitude of origin)  sin = 0.7866706332158556, cos = 0.6173729139148921
    Rq   = 6371007.1808835175 m          (radius of the authalic sphere)
    D    = 1.0004253945280135
  The inverse's authalic-to-geodetic latitude series coefficients:
    c1 = e2/3 + 31 e2^2/180 + 517 e2^3/5040 = 0.00223920887347666
    c2 = 23 e2^2/360 + 251 e2^3/3780        = 2.883084001206078e-06
    c3 = 761 e2^3/45360                     = 5.033182737581254e-09
  tests/dbt/test_geodesy.py checks both directions against pyproj to better than 1e-9 degree.
-#}

{% macro laea_rho(easting, northing) -%}
    sqrt(
        pow((({{ easting }}) - 4321000.0::double) / 1.0004253945280135::double, 2)
        + pow(1.0004253945280135::double * (({{ northing }}) - 3210000.0::double), 2)
    )
{%- endmacro %}

{#- authalic latitude beta' of an EPSG:3035 point (radians) -#}
{% macro laea_beta(easting, northing) -%}
    asin(
        cos(2 * asin({{ laea_rho(easting, northing) }} / (2 * 6371007.1808835175::double))) * 0.7866706332158556::double
        + 1.0004253945280135::double * (({{ northing }}) - 3210000.0::double)
        * sin(2 * asin({{ laea_rho(easting, northing) }} / (2 * 6371007.1808835175::double))) * 0.6173729139148921::double
        / {{ laea_rho(easting, northing) }}
    )
{%- endmacro %}

{#- WGS84/ETRS89 latitude (degrees) of an EPSG:3035 point -#}
{% macro epsg3035_to_latitude(easting, northing) -%}
    degrees(
        {{ laea_beta(easting, northing) }}
        + 0.00223920887347666::double * sin(2 * {{ laea_beta(easting, northing) }})
        + 2.883084001206078e-06 * sin(4 * {{ laea_beta(easting, northing) }})
        + 5.033182737581254e-09 * sin(6 * {{ laea_beta(easting, northing) }})
    )
{%- endmacro %}

{#- WGS84/ETRS89 longitude (degrees) of an EPSG:3035 point -#}
{% macro epsg3035_to_longitude(easting, northing) -%}
    10.0::double + degrees(atan2(
        (({{ easting }}) - 4321000.0::double) * sin(2 * asin({{ laea_rho(easting, northing) }} / (2 * 6371007.1808835175::double))),
        1.0004253945280135::double * {{ laea_rho(easting, northing) }} * 0.6173729139148921::double
        * cos(2 * asin({{ laea_rho(easting, northing) }} / (2 * 6371007.1808835175::double)))
        - pow(1.0004253945280135::double, 2) * (({{ northing }}) - 3210000.0::double) * 0.7866706332158556::double
        * sin(2 * asin({{ laea_rho(easting, northing) }} / (2 * 6371007.1808835175::double)))
    ))
{%- endmacro %}

{#- q(phi) of the ellipsoid, phi in degrees -#}
{% macro laea_q(latitude) -%}
    (1 - 0.006694380022900787::double) * (
        sin(radians({{ latitude }})) / (1 - 0.006694380022900787::double * pow(sin(radians({{ latitude }})), 2))
        - (1 / (2 * 0.08181919104281579::double)) * ln(
            (1 - 0.08181919104281579::double * sin(radians({{ latitude }})))
            / (1 + 0.08181919104281579::double * sin(radians({{ latitude }})))
        )
    )
{%- endmacro %}

{#- B = Rq * sqrt(2 / (1 + sin b0 sin b + cos b0 cos b cos(lon - lon0))) -#}
{% macro laea_b(latitude, longitude) -%}
    6371007.1808835175::double * sqrt(2 / (
        1 + 0.7866706332158556::double * ({{ laea_q(latitude) }} / 1.9955310874809387::double)
        + 0.6173729139148921::double * cos(asin({{ laea_q(latitude) }} / 1.9955310874809387::double))
        * cos(radians(({{ longitude }}) - 10.0::double))
    ))
{%- endmacro %}

{#- EPSG:3035 easting (m) of a WGS84 point -#}
{% macro wgs84_to_epsg3035_easting(latitude, longitude) -%}
    (4321000.0::double + {{ laea_b(latitude, longitude) }} * 1.0004253945280135::double
        * cos(asin({{ laea_q(latitude) }} / 1.9955310874809387::double)) * sin(radians(({{ longitude }}) - 10.0::double)))
{%- endmacro %}

{#- EPSG:3035 northing (m) of a WGS84 point -#}
{% macro wgs84_to_epsg3035_northing(latitude, longitude) -%}
    (3210000.0::double + ({{ laea_b(latitude, longitude) }} / 1.0004253945280135::double) * (
        0.6173729139148921::double * ({{ laea_q(latitude) }} / 1.9955310874809387::double)
        - 0.7866706332158556::double * cos(asin({{ laea_q(latitude) }} / 1.9955310874809387::double))
        * cos(radians(({{ longitude }}) - 10.0::double))
    ))
{%- endmacro %}

{#- great-circle distance in metres (haversine, mean Earth radius 6 371 008.8::double m) -#}
{% macro distance_m(lat1, lon1, lat2, lon2) -%}
    (2 * 6371008.8::double * asin(sqrt(
        pow(sin(radians(({{ lat2 }}) - ({{ lat1 }})) / 2), 2)
        + cos(radians({{ lat1 }})) * cos(radians({{ lat2 }}))
        * pow(sin(radians(({{ lon2 }}) - ({{ lon1 }})) / 2), 2)
    )))
{%- endmacro %}

{#- distance in metres from point P to segment AB, in the local equirectangular plane at P (error
    well under 1 % below 10 km). When B is null the segment is the point A. -#}
{% macro distance_to_segment_m(plat, plon, alat, alon, blat, blon) -%}
    {%- set kx -%}(111195.08::double * cos(radians({{ plat }}))){%- endset -%}
    {%- set ax -%}((({{ alon }}) - ({{ plon }})) * {{ kx }}){%- endset -%}
    {%- set ay -%}((({{ alat }}) - ({{ plat }})) * 111195.08::double){%- endset -%}
    {%- set bx -%}((coalesce({{ blon }}, {{ alon }}) - ({{ plon }})) * {{ kx }}){%- endset -%}
    {%- set by -%}((coalesce({{ blat }}, {{ alat }}) - ({{ plat }})) * 111195.08::double){%- endset -%}
    {%- set t -%}
        greatest(0.0::double, least(1.0::double, coalesce(
            -({{ ax }} * ({{ bx }} - {{ ax }}) + {{ ay }} * ({{ by }} - {{ ay }}))
            / nullif(pow({{ bx }} - {{ ax }}, 2) + pow({{ by }} - {{ ay }}, 2), 0), 0.0::double)))
    {%- endset -%}
    sqrt(
        pow({{ ax }} + {{ t }} * ({{ bx }} - {{ ax }}), 2)
        + pow({{ ay }} + {{ t }} * ({{ by }} - {{ ay }}), 2)
    )
{%- endmacro %}

{#- similarity of two normalised titles (title_key): 1 when one contains the other, else Jaro-Winkler;
    0 when either is empty -#}
{% macro title_similarity(a, b) -%}
    (case
        when coalesce({{ a }}, '') = '' or coalesce({{ b }}, '') = '' then 0.0
        when contains({{ a }}, {{ b }}) or contains({{ b }}, {{ a }}) then 1.0
        else jaro_winkler_similarity({{ a }}, {{ b }})
    end)
{%- endmacro %}
