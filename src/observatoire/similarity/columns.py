"""Names of the columns the similarity index reads and writes: the one place to edit on a rename.

The input is the dbt mart ``fct_event`` (DESIGN §4); the names below are the agreed interface.
"""

from __future__ import annotations

FCT_EVENT = "fct_event"
DIM_PLACE = "dim_place"
DIM_NATURE = "dim_nature"

EVENT_SIMILARITY = "event_similarity"
SIMILARITY_PARAMETERS = "similarity_parameters"
SIMILARITY_EVALUATION = "similarity_evaluation"
PUBLISH_LOG = "publish_log"

EVENT_ID = "event_id"
NATURE = "nature"
NATURE_FAMILY = "nature_family"
PLACE_NAME = "place_name"
LATITUDE = "latitude"
LONGITUDE = "longitude"
ARRONDISSEMENT = "arrondissement"
SECTOR = "sector"
STARTS_AT = "starts_at"
ENDS_AT = "ends_at"
DURATION_HOURS = "duration_hours"
PARTICIPANTS = "participants"
PARTICIPANTS_IMPUTED = "participants_imputed"
EMPRISE_M2 = "emprise_m2"
EMPRISE_IMPUTED = "emprise_imputed"
IS_WEEKEND = "is_weekend"
IS_SUMMER = "is_summer"
STATUS = "status"
TOOK_PLACE = "took_place"
SOURCE_PARTNERS = "source_partners"
SOURCE_IDS = "source_ids"

# Every outcome column of fct_event, in the order they are shown.
OUTCOMES: tuple[str, ...] = (
    "offences_total",
    "offences_atteinte_biens",
    "offences_atteinte_personnes",
    "offences_tranquillite",
    "offences_circulation",
    "offences_stationnement",
    "offences_environnement",
    "interventions_total",
    "agents_municipal",
    "agents_prefecture",
    "agents_total",
    "tunnel_traffic_deviation_pct",
    "tunnel_incidents",
    "tunnel_closures",
    "rtm_disruptions",
    "conflict_count",
)

# Columns the index needs from fct_event (the eight axes, time, eligibility, display).
AXIS_INPUTS: tuple[str, ...] = (
    EVENT_ID,
    NATURE,
    NATURE_FAMILY,
    PLACE_NAME,
    LATITUDE,
    LONGITUDE,
    SECTOR,
    STARTS_AT,
    DURATION_HOURS,
    PARTICIPANTS,
    EMPRISE_M2,
    EMPRISE_IMPUTED,
    IS_WEEKEND,
    IS_SUMMER,
    TOOK_PLACE,
)
