{{ config(materialized='view') }}
-- The 200 m cells whose centre lies within police_cell_radius_m of an event: of its venue, or of any
-- point of a cortège's route (sampled every 100 m from start to arrival); grid arithmetic, equi-join,
-- exact distance filter (macros/cells_near_events.sql). A view: int_event_outcomes_police applies the
-- same macro to the events it recomputes, so nothing here is stored or rescanned.

with

events as (

    select * from {{ ref('int_event_footprint_imputed') }}

),

cells as (

    select * from {{ ref('int_police_activity_cells_located') }}

),

final as (

    {{ cells_near_events('events', 'cells') }}

)

select * from final
