"""One more day of deliveries on top of the small raw fixture (tests/dbt/dbt_raw_fixture.py), with late
corrections of past records, as the ingestion would load them: rows upserted on the contract key with a
later ``_loaded_at``. The day is 3 May 2024; what it tells:

- new records of the day: a concert at Le Dôme (city, with its DataTourisme duplicate and works next
  door), a union cortège Vieux-Port -> Préfecture (Préfecture, with its operation and an RTM disruption),
  police activity along the route and at the concert, the tunnel counts of the day, a tunnel closure;
- late corrections and late deliveries:
  * the OM - PSG match (VE-2) is cancelled;
  * the 2099 concert (VE-6) moves from 1 to 15 June, out of the works it conflicted with (AR-3); the
    works at l'Estaque (AR-4) are re-delivered next to Le Dôme over the new dates (a new conflict);
  * a city exhibition (VE-8) is delivered for the DataTourisme-only "Exposition Méditerranée" (DT-2):
    DT-2 becomes part of it and its own event disappears;
  * the 1 May march is counted again (6 000 participants) and its police activity of 10:00 re-delivered
    (9 offences of tranquillité instead of 7); the SMTPC closure TI-2 moves to 2 May (out of the march);
  * four past Wednesdays of tunnel counts (3 to 24 April, 09:00-11:00 UTC) are re-delivered lower, so the
    usual level of 1 May 09:00-11:00 drops (the median of eight weeks moves from 3 600 to 3 000 vehicles
    an hour) and the march's deviation goes from -25 % to -18.18 %;
  * the police file of 21 June is re-delivered with one more row in a cell never seen before, near
    Marsatac (a new cell near an existing event);
  * the tunnel breakdown during the Carnival (TI-0) and the bus deviation during Marsatac (RTM-2) are
    re-delivered on other days: nothing else changes on those days, so only what the outcome models
    stored (which records each event counted) can tell them to recompute those events.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from observatoire.contracts import CONTRACTS

try:  # tests/ is a package (tests.dbt), or tests/dbt is on sys.path
    from .dbt_raw_fixture import insert_rows
except ImportError:  # pragma: no cover
    from dbt_raw_fixture import insert_rows  # type: ignore[no-redef]

INCREMENT_LOADED_AT = "2025-01-02 00:00:00+00"
MAJ = "2024-05-04 08:00:00+00"

# rows of the increment; a row whose contract key already exists replaces it (upsert)
INCREMENT_ROWS: dict[str, list[dict]] = {
    "ville__evenements": [
        dict(id="VE-7", intitule="Concert au Dôme", nature="concert", lieu="Le Dôme", arrondissement=4,
             latitude=43.3153, longitude=5.4044, debut="2024-05-03 18:00:00+00", fin="2024-05-03 22:00:00+00",
             jauge=5000, emprise_m2=None, organisateur_type="entreprise", statut="autorise", maj=MAJ),
        dict(id="VE-8", intitule="Exposition Méditerranée", nature="spectacle", lieu="Fort Saint-Jean",
             arrondissement=2, latitude=43.2967, longitude=5.3606, debut="2024-07-01 08:00:00+00",
             fin="2024-07-03 16:00:00+00", jauge=None, emprise_m2=1500.0, organisateur_type="collectivite",
             statut="autorise", maj=MAJ),
        # corrections
        dict(id="VE-2", intitule="OM - PSG", nature="match_football", lieu="Orange Vélodrome", arrondissement=8,
             latitude=43.2698, longitude=5.3959, debut="2024-03-30 23:30:00+00", fin="2024-03-31 01:30:00+00",
             jauge=65000, emprise_m2=None, organisateur_type="entreprise", statut="annule", maj=MAJ),
        dict(id="VE-6", intitule="Concert du futur", nature="concert", lieu="Le Dôme", arrondissement=4,
             latitude=43.3153, longitude=5.4044, debut="2099-06-15 18:00:00+00", fin="2099-06-15 22:00:00+00",
             jauge=8000, emprise_m2=3000.0, organisateur_type="entreprise", statut="autorise", maj=MAJ),
    ],
    "ville__arretes_circulation": [
        dict(id="AR-5", numero_arrete="2024-0503", motif="chantier", evenement_id=None, voie="Avenue de Saint-Just",
             arrondissement=4, latitude=43.3160, longitude=5.4050, debut="2024-05-02 06:00:00+00",
             fin="2024-05-06 17:00:00+00", mesure="circulation_alternee", maj=MAJ),
        # correction: the works move next to Le Dôme, over the new dates of the 2099 concert
        dict(id="AR-4", numero_arrete="2099-0002", motif="chantier", evenement_id=None, voie="Boulevard Françoise Duparc",
             arrondissement=4, latitude=43.3146, longitude=5.4036, debut="2099-06-12 06:00:00+00",
             fin="2099-06-20 17:00:00+00", mesure="fermeture_voie", maj=MAJ),
    ],
    "prefecture__manifestations": [
        dict(ID_CORTEGE="C-0503", DATE_DEBUT="2024-05-03 14:00:00+00", DATE_FIN="2024-05-03 16:00:00+00",
             TYPE="REVENDICATIVE", THEME="Retraites", FORME="CORTEGE", LIEU_DEPART="Vieux-Port (Quai des Belges)",
             ARRONDISSEMENT_DEPART=1, LAT_DEPART=43.2951, LON_DEPART=5.3745,
             LIEU_ARRIVEE="Préfecture (Place Félix-Baret)", LAT_ARRIVEE=43.2889, LON_ARRIVEE=5.3792,
             PARTICIPANTS_DECLARES=1000, EFFECTIFS_FDO=30, STATUT="DECLAREE"),
        # correction: the police count of the 1 May march
        dict(ID_CORTEGE="C-0501", DATE_DEBUT="2024-05-01 08:30:00+00", DATE_FIN="2024-05-01 11:30:00+00",
             TYPE="REVENDICATIVE", THEME="Fête du travail", FORME="CORTEGE",
             LIEU_DEPART="Vieux-Port (Quai des Belges)", ARRONDISSEMENT_DEPART=1, LAT_DEPART=43.2951,
             LON_DEPART=5.3745, LIEU_ARRIVEE="Préfecture (Place Félix-Baret)", LAT_ARRIVEE=43.2889,
             LON_ARRIVEE=5.3792, PARTICIPANTS_DECLARES=8000, PARTICIPANTS_CONSTATES=6000, EFFECTIFS_FDO=150,
             STATUT="TERMINEE"),
    ],
    "prefecture__operations_programmees": [
        dict(ID_OPERATION="OP-4", DATE_DEBUT="2024-05-03 13:30:00+00", DATE_FIN="2024-05-03 16:30:00+00",
             TYPE_OPERATION="SECURISATION_EVENEMENT", ARRONDISSEMENT=1, LAT=43.2951, LON=5.3745, EFFECTIFS=40,
             EVENEMENT_LIE="C-0503"),
    ],
    "metropole__perturbations_rtm": [
        # correction: the bus deviation at Parc Borély was on 25 June, not during Marsatac
        dict(id="RTM-2", ligne="83", mode="bus", debut="2024-06-25 14:00:00+00", fin="2024-06-25 20:00:00+00",
             type="deviation", cause="travaux", arret="Parc Borély", latitude=43.2600, longitude=5.3800),
        dict(id="RTM-3", ligne="M1", mode="metro", debut="2024-05-03 13:45:00+00", fin="2024-05-03 16:15:00+00",
             type="arret_non_desservi", cause="manifestation", arret="Estrangin-Préfecture", latitude=43.2893,
             longitude=5.3785),
    ],
    "metropole__datatourisme_poi": [
        dict(objectid="DT-5", nom_poi="Concert au Dôme", niv1_categorie="Fête et manifestation",
             niv2_categorie="Concert", code_postal="13004", commune="Marseille", codeinsee="13204",
             date_debut="2024-05-03 18:00:00+00", date_fin="2024-05-03 22:00:00+00", latitude=43.3151,
             longitude=5.4041, date_mise_a_jour=MAJ),
    ],
    "smtpc__evenements_tunnel": [
        dict(id="TI-3", debut="2024-05-03 15:00:00+00", fin="2024-05-03 15:30:00+00", sens="PRADO_VERS_CARENAGE",
             type="FERMETURE_PROGRAMMEE", voies_fermees=2),
        # corrections: the breakdown during the Carnival was two days later; the closure of 1 May was on 2 May
        dict(id="TI-0", debut="2024-03-12 14:00:00+00", fin="2024-03-12 14:20:00+00", sens="PRADO_VERS_CARENAGE",
             type="PANNE", voies_fermees=1),
        dict(id="TI-2", debut="2024-05-02 10:00:00+00", fin="2024-05-02 10:30:00+00", sens="CARENAGE_VERS_PRADO",
             type="FERMETURE_INOPINEE", voies_fermees=2),
    ],
}

# police activity of the increment: (hour, lat, lon, category, offences, interventions, agents)
INCREMENT_POLICE_POINTS = [
    # the 3 May cortège, along its route
    ("2024-05-03 14:00:00+00", 43.2951, 5.3745, "tranquillite", 2, 2, 5),
    ("2024-05-03 15:00:00+00", 43.2920, 5.3770, "atteinte_biens", 1, 1, 5),
    # the concert at Le Dôme
    ("2024-05-03 20:00:00+00", 43.3153, 5.4044, "atteinte_personnes", 6, 6, 8),
    # correction of 1 May 10:00 (7 -> 9 offences of tranquillité)
    ("2024-05-01 10:00:00+00", 43.2920, 5.3770, "tranquillite", 9, 9, 8),
]

# a cell never seen before, near Marsatac (chosen in new_cell_near_marsatac)
MARSATAC = (43.2594, 5.3820)


def _cell(lat: float, lon: float) -> tuple[str, float, float]:
    """INSEE cell id of a point and the WGS84 centre of that cell."""
    from pyproj import Transformer

    to_laea = Transformer.from_crs(4326, 3035, always_xy=True)
    to_wgs = Transformer.from_crs(3035, 4326, always_xy=True)
    easting, northing = to_laea.transform(lon, lat)
    e, n = int(easting // 200 * 200), int(northing // 200 * 200)
    centre_lon, centre_lat = to_wgs.transform(e + 100, n + 100)
    return f"CRS3035RES200mN{n}E{e}", centre_lat, centre_lon


def new_cell_near_marsatac() -> tuple[float, float]:
    """A point whose cell is not Marsatac's and whose cell centre lies within 300 m of Marsatac."""
    from math import cos, radians, sqrt

    own, _, _ = _cell(*MARSATAC)
    for dlat, dlon in ((0.0, 0.0025), (0.0018, 0.0), (-0.0018, 0.0), (0.0, -0.0025)):
        lat, lon = MARSATAC[0] + dlat, MARSATAC[1] + dlon
        cell, clat, clon = _cell(lat, lon)
        dy = (clat - MARSATAC[0]) * 111195.0
        dx = (clon - MARSATAC[1]) * 111195.0 * cos(radians(MARSATAC[0]))
        if cell != own and sqrt(dx * dx + dy * dy) < 280:
            return lat, lon
    raise AssertionError("no neighbouring cell within 280 m of Marsatac")


def police_increment_rows() -> list[dict]:
    points = list(INCREMENT_POLICE_POINTS)
    lat, lon = new_cell_near_marsatac()
    points.append(("2024-06-21 21:00:00+00", lat, lon, "atteinte_biens", 4, 4, 3))
    rows = []
    for hour, plat, plon, category, offences, interventions, agents in points:
        cell, _, _ = _cell(plat, plon)
        rows.append(dict(heure=hour, carreau=cell, categorie=category, nb_faits=offences,
                         nb_interventions=interventions, agents_engages=agents))
    return rows


def _delete_keys(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict]) -> None:
    contract = CONTRACTS[table]
    condition = " and ".join(f'"{k}" = ?' for k in contract.key)
    for row in rows:
        con.execute(f"delete from {contract.qualified_table} where {condition}", [row[k] for k in contract.key])


def upsert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict], loaded_at: str) -> None:
    """What the ingestion's MERGE does: the row of each key is replaced, loaded at ``loaded_at``."""
    _delete_keys(con, table, rows)
    insert_rows(con, table, rows, loaded_at)


def apply_increment(path: Path, loaded_at: str = INCREMENT_LOADED_AT) -> None:
    con = duckdb.connect(str(path))
    try:
        con.execute("set timezone = 'UTC'")
        for table, rows in INCREMENT_ROWS.items():
            upsert_rows(con, table, rows, loaded_at)
        upsert_rows(con, "ville__activite_police_municipale", police_increment_rows(), loaded_at)
        # the counts of 3 May (same profile as the fixture's days)
        con.execute(
            f"""
            insert into raw.smtpc__comptages
            select
                ts, sens, cast(case when hour(ts) between 6 and 19 then 180 else 60 end as bigint),
                70.0, 20.0, 'increment', timestamptz '{loaded_at}'
            from generate_series(timestamptz '2024-05-03 00:00:00+00', timestamptz '2024-05-03 23:54:00+00',
                                 interval 6 minute) as t(ts)
            cross join (values ('PRADO_VERS_CARENAGE'), ('CARENAGE_VERS_PRADO')) as s(sens)
            """
        )
        # four past Wednesdays re-delivered: 120 vehicles per 6 minutes and direction from 09:00 to 11:00
        con.execute(
            f"""
            update raw.smtpc__comptages
            set vehicules = 120, _delivery_id = 'increment', _loaded_at = timestamptz '{loaded_at}'
            where
                cast(horodatage as date) in ('2024-04-03', '2024-04-10', '2024-04-17', '2024-04-24')
                and hour(horodatage) in (9, 10)
            """
        )
    finally:
        con.close()
