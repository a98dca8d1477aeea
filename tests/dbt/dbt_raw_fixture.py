"""A small, realistic ``raw.*`` warehouse for the dbt tests.

Tables are created from the partner contracts (exact fields, ``Field.duckdb_type``, plus ``_delivery_id``
and ``_loaded_at``), as the ingestion does. The rows tell a few stories whose outcome the tests know:

- the Marsatac festival at Parc Borély is in the city's events and in DataTourisme: one event;
- the 1 May union march (Préfecture cortège Vieux-Port -> Préfecture) is also in a city traffic order
  (motif evenement, no id) and an RTM disruption (cause manifestation): one event, with a linked
  Préfecture operation, municipal police activity along its route and a tunnel closure nearby;
- the Carnival is a city fête and a festive Préfecture cortège: one event;
- a film shoot has a traffic order that carries its evenement_id;
- a refused flea market and a forbidden procession are kept, with took_place false;
- a concert in 2099 has works next door (an upcoming conflict);
- a DataTourisme exhibition has no city record (an event of its own); a record outside Marseille and a
  non-event POI are ignored.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from observatoire.contracts import CONTRACTS

LOADED_AT = "2025-01-01 00:00:00+00"

EXPECTED_EVENT_COUNT = 10

# (table, rows as dicts of wire field names); omitted nullable fields are NULL
ROWS: dict[str, list[dict]] = {
    "ville__evenements": [
        dict(id="VE-1", intitule="Marsatac", nature="festival", lieu="Parc Borély", arrondissement=8,
             latitude=43.2594, longitude=5.3820, debut="2024-06-21 16:00:00+00", fin="2024-06-22 00:00:00+00",
             jauge=20000, emprise_m2=30000.0, organisateur_type="association", statut="termine",
             maj="2024-06-23 08:00:00+00"),
        dict(id="VE-2", intitule="OM - PSG", nature="match_football", lieu="Orange Vélodrome", arrondissement=8,
             latitude=43.2698, longitude=5.3959, debut="2024-03-30 23:30:00+00", fin="2024-03-31 01:30:00+00",
             jauge=65000, emprise_m2=None, organisateur_type="entreprise", statut="termine",
             maj="2024-04-01 08:00:00+00"),
        dict(id="VE-3", intitule="Vide-grenier de la Plaine", nature="brocante", lieu="Place Jean-Jaurès (La Plaine)",
             arrondissement=5, latitude=43.2942, longitude=5.3866, debut="2024-05-12 06:00:00+00",
             fin="2024-05-12 16:00:00+00", jauge=800, emprise_m2=2500.0, organisateur_type="association",
             statut="refuse", maj="2024-05-01 08:00:00+00"),
        dict(id="VE-4", intitule="Carnaval de la Plaine", nature="fete_populaire", lieu="Cours Julien",
             arrondissement=6, latitude=43.2943, longitude=5.3834, debut="2024-03-10 13:00:00+00",
             fin="2024-03-10 18:00:00+00", jauge=None, emprise_m2=None, organisateur_type="association",
             statut="termine", maj="2024-03-11 08:00:00+00"),
        dict(id="VE-5", intitule="Tournage série", nature="tournage", lieu="Place de Lenche (Le Panier)",
             arrondissement=2, latitude=43.2981, longitude=5.3661, debut="2024-04-03 06:00:00+00",
             fin="2024-04-03 18:00:00+00", jauge=60, emprise_m2=400.0, organisateur_type="entreprise",
             statut="termine", maj="2024-04-04 08:00:00+00"),
        dict(id="VE-6", intitule="Concert du futur", nature="concert", lieu="Le Dôme", arrondissement=4,
             latitude=43.3153, longitude=5.4044, debut="2099-06-01 18:00:00+00", fin="2099-06-01 22:00:00+00",
             jauge=8000, emprise_m2=3000.0, organisateur_type="entreprise", statut="autorise",
             maj="2024-06-01 08:00:00+00"),
    ],
    "ville__arretes_circulation": [
        dict(id="AR-1", numero_arrete="2024-0501", motif="evenement", evenement_id=None, voie="Rue de Rome",
             arrondissement=6, latitude=43.2921, longitude=5.3771, debut="2024-05-01 08:00:00+00",
             fin="2024-05-01 12:00:00+00", mesure="fermeture_voie", maj="2024-04-25 08:00:00+00"),
        dict(id="AR-2", numero_arrete="2024-0402", motif="tournage", evenement_id="VE-5", voie="Rue de la Prison",
             arrondissement=2, latitude=43.2975, longitude=5.3668, debut="2024-04-03 05:00:00+00",
             fin="2024-04-03 19:00:00+00", mesure="stationnement_interdit", maj="2024-03-30 08:00:00+00"),
        dict(id="AR-3", numero_arrete="2099-0001", motif="chantier", evenement_id=None, voie="Avenue de Saint-Just",
             arrondissement=4, latitude=43.3160, longitude=5.4050, debut="2099-05-20 06:00:00+00",
             fin="2099-06-10 17:00:00+00", mesure="circulation_alternee", maj="2024-06-01 08:00:00+00"),
        dict(id="AR-4", numero_arrete="2099-0002", motif="chantier", evenement_id=None, voie="Chemin du Littoral",
             arrondissement=16, latitude=43.3614, longitude=5.3125, debut="2099-05-20 06:00:00+00",
             fin="2099-06-10 17:00:00+00", mesure="fermeture_voie", maj="2024-06-01 08:00:00+00"),
    ],
    "prefecture__manifestations": [
        dict(ID_CORTEGE="C-0501", DATE_DEBUT="2024-05-01 08:30:00+00", DATE_FIN="2024-05-01 11:30:00+00",
             TYPE="REVENDICATIVE", THEME="Fête du travail", FORME="CORTEGE",
             LIEU_DEPART="Vieux-Port (Quai des Belges)", ARRONDISSEMENT_DEPART=1, LAT_DEPART=43.2951,
             LON_DEPART=5.3745, LIEU_ARRIVEE="Préfecture (Place Félix-Baret)", LAT_ARRIVEE=43.2889,
             LON_ARRIVEE=5.3792, PARTICIPANTS_DECLARES=8000, PARTICIPANTS_CONSTATES=5000, EFFECTIFS_FDO=150,
             STATUT="TERMINEE"),
        dict(ID_CORTEGE="C-0310", DATE_DEBUT="2024-03-10 13:30:00+00", DATE_FIN="2024-03-10 17:00:00+00",
             TYPE="FESTIVE", THEME="Carnaval", FORME="CORTEGE", LIEU_DEPART="Cours Julien",
             ARRONDISSEMENT_DEPART=6, LAT_DEPART=43.2945, LON_DEPART=5.3838, LIEU_ARRIVEE="Place Jean-Jaurès (La Plaine)",
             LAT_ARRIVEE=43.2942, LON_ARRIVEE=5.3866, PARTICIPANTS_DECLARES=3000, PARTICIPANTS_CONSTATES=None,
             EFFECTIFS_FDO=40, STATUT="TERMINEE"),
        dict(ID_CORTEGE="C-0915", DATE_DEBUT="2024-09-15 14:00:00+00", DATE_FIN="2024-09-15 16:00:00+00",
             TYPE="RELIGIEUSE", THEME="Procession", FORME="RASSEMBLEMENT_STATIQUE",
             LIEU_DEPART="Cathédrale de la Major", ARRONDISSEMENT_DEPART=2, LAT_DEPART=43.2996,
             LON_DEPART=5.3641, PARTICIPANTS_DECLARES=400, EFFECTIFS_FDO=10, STATUT="INTERDITE"),
    ],
    "prefecture__visites_officielles": [
        dict(ID_VISITE="V-1", DATE_DEBUT="2024-10-07 08:00:00+00", DATE_FIN="2024-10-07 12:00:00+00",
             NIVEAU="MINISTRE", LIEU="Hôtel de Ville", ARRONDISSEMENT=2, LAT=43.2962, LON=5.3697,
             PERIMETRE_SECURITE_M=100, EFFECTIFS_FDO=60),
    ],
    "prefecture__operations_programmees": [
        dict(ID_OPERATION="OP-1", DATE_DEBUT="2024-05-01 07:30:00+00", DATE_FIN="2024-05-01 12:30:00+00",
             TYPE_OPERATION="SECURISATION_EVENEMENT", ARRONDISSEMENT=1, LAT=43.2951, LON=5.3745, EFFECTIFS=80,
             EVENEMENT_LIE="C-0501"),
        dict(ID_OPERATION="OP-2", DATE_DEBUT="2024-06-21 15:00:00+00", DATE_FIN="2024-06-22 01:00:00+00",
             TYPE_OPERATION="SECURISATION_EVENEMENT", ARRONDISSEMENT=8, LAT=43.2594, LON=5.3820, EFFECTIFS=50,
             EVENEMENT_LIE="VE-1"),
        dict(ID_OPERATION="OP-3", DATE_DEBUT="2024-08-01 07:30:00+00", DATE_FIN="2024-08-01 12:30:00+00",
             TYPE_OPERATION="SECURISATION_ZONE", ARRONDISSEMENT=15, LAT=43.3352, LON=5.3646, EFFECTIFS=20,
             EVENEMENT_LIE=None),
    ],
    "metropole__perturbations_rtm": [
        dict(id="RTM-1", ligne="M1", mode="metro", debut="2024-05-01 08:00:00+00", fin="2024-05-01 12:00:00+00",
             type="arret_non_desservi", cause="manifestation", arret="Estrangin-Préfecture", latitude=43.2893,
             longitude=5.3785),
        dict(id="RTM-2", ligne="83", mode="bus", debut="2024-06-21 14:00:00+00", fin="2024-06-22 02:00:00+00",
             type="deviation", cause="travaux", arret="Parc Borély", latitude=43.2600, longitude=5.3800),
    ],
    "metropole__datatourisme_poi": [
        dict(objectid="DT-1", nom_poi="Festival Marsatac", niv1_categorie="Fête et manifestation",
             niv2_categorie="Festival", code_postal="13008", commune="Marseille", codeinsee="13208",
             date_debut="2024-06-21 15:00:00+00", date_fin="2024-06-22 00:00:00+00", latitude=43.2590,
             longitude=5.3815, date_mise_a_jour="2024-06-01 08:00:00+00"),
        dict(objectid="DT-2", nom_poi="Exposition Méditerranée", niv1_categorie="Fête et manifestation",
             niv2_categorie="Exposition", code_postal="13002", commune="Marseille", codeinsee="13202",
             date_debut="2024-07-01 08:00:00+00", date_fin="2024-07-03 16:00:00+00", latitude=43.2967,
             longitude=5.3606, date_mise_a_jour="2024-06-01 08:00:00+00"),
        dict(objectid="DT-3", nom_poi="Festival d'Aix", niv1_categorie="Fête et manifestation",
             niv2_categorie="Festival", code_postal="13100", commune="Aix-en-Provence", codeinsee="13001",
             date_debut="2024-07-01 08:00:00+00", date_fin="2024-07-20 16:00:00+00", latitude=43.5263,
             longitude=5.4454, date_mise_a_jour="2024-06-01 08:00:00+00"),
        dict(objectid="DT-4", nom_poi="Musée", niv1_categorie="Culture", niv2_categorie="Musée",
             code_postal="13002", commune="Marseille", codeinsee="13202", date_debut=None, date_fin=None,
             latitude=43.2967, longitude=5.3606, date_mise_a_jour="2024-06-01 08:00:00+00"),
    ],
    "smtpc__evenements_tunnel": [
        dict(id="TI-0", debut="2024-03-10 14:00:00+00", fin="2024-03-10 14:20:00+00", sens="PRADO_VERS_CARENAGE",
             type="PANNE", voies_fermees=1),
        dict(id="TI-1", debut="2024-05-01 09:00:00+00", fin="2024-05-01 09:40:00+00", sens="PRADO_VERS_CARENAGE",
             type="ACCIDENT", voies_fermees=1),
        dict(id="TI-2", debut="2024-05-01 10:00:00+00", fin="2024-05-01 10:30:00+00", sens="CARENAGE_VERS_PRADO",
             type="FERMETURE_INOPINEE", voies_fermees=2),
    ],
    "metropole__fermetures_tunnels": [
        dict(tunnel="Tunnel du Vieux-Port", sens="Nord-Sud", date_de_debut="2024-05-01 07:00:00+00",
             date_de_fin="2024-05-01 13:00:00+00", type="Programmée", nom="Fermeture manifestation",
             titrecalendrier="Vieux-Port fermé", nature="Evénement"),
    ],
}

# police activity: (hour, lat, lon, category, offences, interventions, agents)
POLICE_POINTS = [
    # 1 May march, along the route Vieux-Port -> Préfecture, during the march
    ("2024-05-01 09:00:00+00", 43.2951, 5.3745, "atteinte_personnes", 4, 5, 6),
    ("2024-05-01 10:00:00+00", 43.2920, 5.3770, "atteinte_personnes", 3, 3, 8),
    ("2024-05-01 10:00:00+00", 43.2920, 5.3770, "tranquillite", 7, 7, 8),
    ("2024-05-01 11:00:00+00", 43.2889, 5.3792, "circulation", 2, 2, 4),
    # Marsatac: 6 offences against persons (published, >= k)
    ("2024-06-21 20:00:00+00", 43.2594, 5.3820, "atteinte_personnes", 6, 6, 10),
    ("2024-06-21 21:00:00+00", 43.2594, 5.3820, "atteinte_biens", 3, 3, 10),
    # far from everything (l'Estaque)
    ("2024-05-01 10:00:00+00", 43.3614, 5.3125, "stationnement", 9, 9, 2),
    # Marsatac, 3 hours after the end: outside the window (margin 1 h)
    ("2024-06-22 03:00:00+00", 43.2594, 5.3820, "atteinte_biens", 5, 5, 3),
]


def create_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists raw")
    for contract in CONTRACTS.values():
        columns = ", ".join(f'"{f.name}" {f.duckdb_type}' for f in contract.fields)
        con.execute(
            f"create or replace table {contract.qualified_table} "
            f"({columns}, _delivery_id VARCHAR, _loaded_at TIMESTAMPTZ)"
        )


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict], loaded_at: str = LOADED_AT) -> None:
    contract = CONTRACTS[table]
    names = list(contract.field_names)
    quoted = ", ".join(f'"{n}"' for n in names)
    placeholders = ", ".join("?" for _ in names)
    for row in rows:
        unknown = set(row) - set(names)
        assert not unknown, f"{table}: {unknown} not in the contract"
        con.execute(
            f"insert into {contract.qualified_table} ({quoted}, _delivery_id, _loaded_at) "
            f"values ({placeholders}, 'fixture', ?)",
            [row.get(n) for n in names] + [loaded_at],
        )


def police_rows() -> list[dict]:
    from pyproj import Transformer

    to_laea = Transformer.from_crs(4326, 3035, always_xy=True)
    rows = []
    for hour, lat, lon, category, offences, interventions, agents in POLICE_POINTS:
        easting, northing = to_laea.transform(lon, lat)
        cell = f"CRS3035RES200mN{int(northing // 200 * 200)}E{int(easting // 200 * 200)}"
        rows.append(dict(heure=hour, carreau=cell, categorie=category, nb_faits=offences,
                         nb_interventions=interventions, agents_engages=agents))
    return rows


def insert_tunnel_counts(con: duckdb.DuckDBPyConnection) -> None:
    """Nine weeks of 6-minute counts up to 2 May 2024: 1 800 vehicles an hour per direction on weekdays'
    daytime, 600 at night, and on 1 May between 09:00 and 11:00 UTC half the usual traffic."""
    con.execute(
        f"""
        insert into raw.smtpc__comptages
        select
            ts as horodatage,
            sens,
            cast(case
                when ts >= '2024-05-01 09:00:00+00' and ts < '2024-05-01 11:00:00+00' then 90
                when hour(ts) between 6 and 19 then 180
                else 60
            end as bigint) as vehicules,
            70.0 as vitesse_moy_kmh,
            20.0 as taux_occupation_pct,
            'fixture' as _delivery_id,
            timestamptz '{LOADED_AT}' as _loaded_at
        from generate_series(timestamptz '2024-02-28 00:00:00+00', timestamptz '2024-05-02 23:54:00+00',
                             interval 6 minute) as t(ts)
        cross join (values ('PRADO_VERS_CARENAGE'), ('CARENAGE_VERS_PRADO')) as s(sens)
        """
    )


def build_raw_warehouse(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    try:
        con.execute("set timezone = 'UTC'")
        create_raw_tables(con)
        for table, rows in ROWS.items():
            insert_rows(con, table, rows)
        insert_rows(con, "ville__activite_police_municipale", police_rows())
        insert_tunnel_counts(con)
    finally:
        con.close()


if __name__ == "__main__":  # pragma: no cover - handy for manual runs
    import sys

    build_raw_warehouse(Path(sys.argv[1]))


# Ground truth of the fixture, in the generator's format (truth/records.parquet): which partner records
# are the same real event (None: not an event).
FIXTURE_TRUTH: list[tuple[str | None, str, str, str]] = [
    ("T1", "ville", "evenements", "VE-1"), ("T1", "metropole", "datatourisme_poi", "DT-1"),
    ("T1", "prefecture", "operations_programmees", "OP-2"),
    ("T2", "ville", "evenements", "VE-2"),
    ("T3", "ville", "evenements", "VE-3"),
    ("T4", "ville", "evenements", "VE-4"), ("T4", "prefecture", "manifestations", "C-0310"),
    ("T5", "ville", "evenements", "VE-5"), ("T5", "ville", "arretes_circulation", "AR-2"),
    ("T6", "ville", "evenements", "VE-6"),
    ("T7", "prefecture", "manifestations", "C-0501"), ("T7", "ville", "arretes_circulation", "AR-1"),
    ("T7", "metropole", "perturbations_rtm", "RTM-1"), ("T7", "prefecture", "operations_programmees", "OP-1"),
    ("T8", "prefecture", "manifestations", "C-0915"),
    ("T9", "prefecture", "visites_officielles", "V-1"),
    ("T10", "metropole", "datatourisme_poi", "DT-2"),
    ("T11", "metropole", "datatourisme_poi", "DT-3"),
    (None, "metropole", "datatourisme_poi", "DT-4"),
    (None, "ville", "arretes_circulation", "AR-3"), (None, "ville", "arretes_circulation", "AR-4"),
    (None, "prefecture", "operations_programmees", "OP-3"), (None, "metropole", "perturbations_rtm", "RTM-2"),
]  # fmt: skip


def write_fixture_truth(path: Path) -> Path:
    con = duckdb.connect()
    try:
        con.execute("create table t (true_event_id varchar, partner varchar, dataset varchar, record_id varchar)")
        con.executemany("insert into t values (?, ?, ?, ?)", FIXTURE_TRUTH)
        con.execute(f"copy (select *, 'event' as role from t) to '{path}' (format parquet)")
    finally:
        con.close()
    return path
