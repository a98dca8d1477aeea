{{ config(materialized='view') }}
-- The clock hours (UTC) over which an event's outcomes are measured: every hour overlapping
-- [start - outcome_margin_hours, end + outcome_margin_hours), where a very long event (a market of
-- several weeks) is cut to its first max_outcome_window_hours. in_event marks the hours overlapping
-- the event itself (without the margin): tunnel traffic is compared on those.
-- A view (macros/event_windows.sql): the outcome models expand the windows of the events they
-- recompute with the same macro, so the half-million window hours of ten years are never stored.

with

events as (

    select * from {{ ref('int_event_footprint_imputed') }}

),

final as (

    {{ event_window_hours('events') }}

)

select * from final
