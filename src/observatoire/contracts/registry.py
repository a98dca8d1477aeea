"""Every partner dataset's contract (DESIGN.md §3). Change a contract here and bump its version."""

from __future__ import annotations

from .model import Contract, Field, WireSpec

CITY_NATURES = (
    "concert",
    "festival",
    "spectacle",
    "fete_populaire",
    "feu_artifice",
    "match_football",
    "match_autre",
    "course",
    "marche",
    "foire",
    "brocante",
    "tournage",
    "ceremonie",
)
ORGANISER_TYPES = ("association", "entreprise", "collectivite", "etat", "particulier")
CITY_EVENT_STATUSES = ("demande", "autorise", "refuse", "annule", "termine")
POLICE_CATEGORIES = (
    "atteinte_biens",
    "atteinte_personnes",
    "tranquillite",
    "circulation",
    "stationnement",
    "environnement",
)
TUNNEL_DIRECTIONS = ("PRADO_VERS_CARENAGE", "CARENAGE_VERS_PRADO")
INSPIRE_CELL_PATTERN = r"CRS3035RES200mN[0-9]{7}E[0-9]{7}"

_MARSEILLE_LAT = {"minimum": 43.15, "maximum": 43.45, "unit": "degrees (WGS84)"}
_MARSEILLE_LON = {"minimum": 5.20, "maximum": 5.60, "unit": "degrees (WGS84)"}
_ARRONDISSEMENT = {"minimum": 1, "maximum": 16}

_ISO_JSON = WireSpec(format="json")
_CITY_CSV = WireSpec(format="csv", encoding="utf-8", delimiter=",", decimal=".")
_PREFECTURE_CSV = WireSpec(
    format="csv",
    encoding="cp1252",
    delimiter=";",
    decimal=",",
    timestamp_format="%d/%m/%Y %H:%M",
    timestamp_timezone="Europe/Paris",
)
_SMTPC_CSV = WireSpec(format="csv", encoding="utf-8", delimiter=",", decimal=".")


def _lat(name: str, description: str, nullable: bool = False) -> Field:
    return Field(name, "float", description, nullable=nullable, **_MARSEILLE_LAT)  # type: ignore[arg-type]


def _lon(name: str, description: str, nullable: bool = False) -> Field:
    return Field(name, "float", description, nullable=nullable, **_MARSEILLE_LON)  # type: ignore[arg-type]


VILLE_EVENEMENTS = Contract(
    partner="ville",
    dataset="evenements",
    title="Ville de Marseille — events on public space",
    description="Events declared to the city (concerts, fêtes, matches, markets, shoots…), one record per event.",
    mechanism="rest_api",
    wire=_ISO_JSON,
    key=("id",),
    updated_field="maj",
    start_field="debut",
    end_field="fin",
    fields=(
        Field("id", "string", "City event identifier.", max_length=40),
        Field("intitule", "string", "Public title of the event.", max_length=200),
        Field("nature", "string", "Nature code of the event.", allowed=CITY_NATURES),
        Field("lieu", "string", "Venue or public space name.", max_length=120),
        Field("arrondissement", "integer", "Arrondissement of the venue (1-16).", **_ARRONDISSEMENT),  # type: ignore[arg-type]
        _lat("latitude", "Venue latitude."),
        _lon("longitude", "Venue longitude."),
        Field("debut", "timestamp", "Start (ISO 8601 with offset on the wire, UTC in the warehouse)."),
        Field("fin", "timestamp", "End (ISO 8601 with offset on the wire, UTC in the warehouse)."),
        Field("jauge", "integer", "Expected participants.", nullable=True, minimum=0, unit="persons"),
        Field("emprise_m2", "float", "Public space occupied.", nullable=True, minimum=0, unit="m²"),
        Field("organisateur_type", "string", "Kind of organiser, never its identity.", allowed=ORGANISER_TYPES),
        Field("statut", "string", "Administrative status.", allowed=CITY_EVENT_STATUSES),
        Field("maj", "timestamp", "Last update of the record."),
    ),
)

VILLE_ARRETES = Contract(
    partner="ville",
    dataset="arretes_circulation",
    title="Ville de Marseille — traffic and parking orders",
    description="Municipal orders restricting traffic or parking for an event, works, a shoot or a market.",
    mechanism="rest_api",
    wire=_ISO_JSON,
    key=("id",),
    updated_field="maj",
    start_field="debut",
    end_field="fin",
    fields=(
        Field("id", "string", "Order record identifier.", max_length=40),
        Field("numero_arrete", "string", "Official order number.", max_length=40),
        Field("motif", "string", "Reason.", allowed=("evenement", "chantier", "tournage", "marche", "autre")),
        Field("evenement_id", "string", "City event the order serves, if any.", nullable=True, max_length=40),
        Field("voie", "string", "Street concerned.", max_length=160),
        Field("arrondissement", "integer", "Arrondissement (1-16).", **_ARRONDISSEMENT),  # type: ignore[arg-type]
        _lat("latitude", "Latitude of the restricted section."),
        _lon("longitude", "Longitude of the restricted section."),
        Field("debut", "timestamp", "Start of the restriction."),
        Field("fin", "timestamp", "End of the restriction."),
        Field(
            "mesure",
            "string",
            "Measure ordered.",
            allowed=("fermeture_voie", "stationnement_interdit", "circulation_alternee", "deviation"),
        ),
        Field("maj", "timestamp", "Last update of the record."),
    ),
)

VILLE_ACTIVITE_PM = Contract(
    partner="ville",
    dataset="activite_police_municipale",
    title="Ville de Marseille — municipal police activity (aggregated)",
    description=(
        "Hourly counts of offences and interventions of the municipal police per 200 m INSPIRE grid cell "
        "and category. Aggregated at the source: no individual record ever crosses."
    ),
    mechanism="file_drop",
    wire=_CITY_CSV,
    key=("heure", "carreau", "categorie"),
    fields=(
        Field("heure", "timestamp", "Start of the hour (ISO 8601 with offset)."),
        Field(
            "carreau",
            "string",
            "200 m INSPIRE grid cell in EPSG:3035, as INSEE writes it.",
            pattern=INSPIRE_CELL_PATTERN,
        ),
        Field("categorie", "string", "Category of facts.", allowed=POLICE_CATEGORIES),
        Field("nb_faits", "integer", "Offences recorded.", minimum=0, unit="count"),
        Field("nb_interventions", "integer", "Interventions.", minimum=0, unit="count"),
        Field("agents_engages", "integer", "Municipal agents engaged.", minimum=0, unit="persons"),
    ),
)

PREFECTURE_MANIFESTATIONS = Contract(
    partner="prefecture",
    dataset="manifestations",
    title="Préfecture de police — demonstrations (Cortège export)",
    description="Declared demonstrations on public roads, static or moving, with the forces deployed.",
    mechanism="file_drop",
    wire=_PREFECTURE_CSV,
    key=("ID_CORTEGE",),
    start_field="DATE_DEBUT",
    end_field="DATE_FIN",
    fields=(
        Field("ID_CORTEGE", "string", "Cortège identifier.", max_length=40),
        Field("DATE_DEBUT", "timestamp", "Start (dd/mm/yyyy HH:MM, Europe/Paris on the wire)."),
        Field("DATE_FIN", "timestamp", "End (dd/mm/yyyy HH:MM, Europe/Paris on the wire)."),
        Field(
            "TYPE",
            "string",
            "Type of demonstration.",
            allowed=("REVENDICATIVE", "FESTIVE", "SPORTIVE", "COMMEMORATIVE", "RELIGIEUSE"),
        ),
        Field("THEME", "string", "Short public topic.", max_length=120),
        Field("FORME", "string", "Moving or static.", allowed=("CORTEGE", "RASSEMBLEMENT_STATIQUE")),
        Field("LIEU_DEPART", "string", "Starting place.", max_length=120),
        Field("ARRONDISSEMENT_DEPART", "integer", "Arrondissement of the start.", **_ARRONDISSEMENT),  # type: ignore[arg-type]
        _lat("LAT_DEPART", "Latitude of the start (decimal comma on the wire)."),
        _lon("LON_DEPART", "Longitude of the start (decimal comma on the wire)."),
        Field("LIEU_ARRIVEE", "string", "Arrival place (empty for a static gathering).", nullable=True, max_length=120),
        _lat("LAT_ARRIVEE", "Latitude of the arrival.", nullable=True),
        _lon("LON_ARRIVEE", "Longitude of the arrival.", nullable=True),
        Field("PARTICIPANTS_DECLARES", "integer", "Participants declared by the organisers.", nullable=True, minimum=0),
        Field(
            "PARTICIPANTS_CONSTATES",
            "integer",
            "Participants counted by the police, filled after the event.",
            nullable=True,
            minimum=0,
        ),
        Field("EFFECTIFS_FDO", "integer", "Law-enforcement staff deployed.", nullable=True, minimum=0),
        Field("STATUT", "string", "Status.", allowed=("DECLAREE", "INTERDITE", "TERMINEE", "ANNULEE")),
    ),
)

PREFECTURE_VISITES = Contract(
    partner="prefecture",
    dataset="visites_officielles",
    title="Préfecture de police — official visits",
    description="Official visits with their security perimeter, by protocol level (never a name).",
    mechanism="file_drop",
    wire=_PREFECTURE_CSV,
    key=("ID_VISITE",),
    start_field="DATE_DEBUT",
    end_field="DATE_FIN",
    fields=(
        Field("ID_VISITE", "string", "Visit identifier.", max_length=40),
        Field("DATE_DEBUT", "timestamp", "Start."),
        Field("DATE_FIN", "timestamp", "End."),
        Field(
            "NIVEAU",
            "string",
            "Protocol level of the visitor.",
            allowed=("CHEF_ETAT", "CHEF_GOUVERNEMENT", "MINISTRE", "DELEGATION_ETRANGERE", "AUTRE"),
        ),
        Field("LIEU", "string", "Place visited.", max_length=120),
        Field("ARRONDISSEMENT", "integer", "Arrondissement.", **_ARRONDISSEMENT),  # type: ignore[arg-type]
        _lat("LAT", "Latitude."),
        _lon("LON", "Longitude."),
        Field("PERIMETRE_SECURITE_M", "integer", "Radius of the security perimeter.", minimum=0, unit="m"),
        Field("EFFECTIFS_FDO", "integer", "Law-enforcement staff deployed.", minimum=0),
    ),
)

PREFECTURE_OPERATIONS = Contract(
    partner="prefecture",
    dataset="operations_programmees",
    title="Préfecture de police — planned operations",
    description="Planned police operations, possibly linked to a city event or a cortège.",
    mechanism="file_drop",
    wire=_PREFECTURE_CSV,
    key=("ID_OPERATION",),
    start_field="DATE_DEBUT",
    end_field="DATE_FIN",
    fields=(
        Field("ID_OPERATION", "string", "Operation identifier.", max_length=40),
        Field("DATE_DEBUT", "timestamp", "Start."),
        Field("DATE_FIN", "timestamp", "End."),
        Field(
            "TYPE_OPERATION",
            "string",
            "Kind of operation.",
            allowed=("SECURISATION_EVENEMENT", "SECURISATION_ZONE", "REGULATION_CIRCULATION"),
        ),
        Field("ARRONDISSEMENT", "integer", "Arrondissement.", **_ARRONDISSEMENT),  # type: ignore[arg-type]
        _lat("LAT", "Latitude."),
        _lon("LON", "Longitude."),
        Field("EFFECTIFS", "integer", "Staff engaged.", minimum=0),
        Field("EVENEMENT_LIE", "string", "Linked city event id or cortège id.", nullable=True, max_length=40),
    ),
)

SMTPC_COMPTAGES = Contract(
    partner="smtpc",
    dataset="comptages",
    title="SMTPC — Prado-Carénage tunnel counts",
    description="Vehicles, mean speed and occupancy per direction and 6-minute period.",
    mechanism="https_files",
    wire=_SMTPC_CSV,
    key=("horodatage", "sens"),
    fields=(
        Field("horodatage", "timestamp", "Start of the 6-minute period (UTC)."),
        Field("sens", "string", "Direction.", allowed=TUNNEL_DIRECTIONS),
        Field("vehicules", "integer", "Vehicles counted.", minimum=0, maximum=1000, unit="vehicles"),
        Field("vitesse_moy_kmh", "float", "Mean speed.", nullable=True, minimum=0, maximum=130, unit="km/h"),
        Field("taux_occupation_pct", "float", "Occupancy rate.", minimum=0, maximum=100, unit="%"),
    ),
)

SMTPC_EVENEMENTS = Contract(
    partner="smtpc",
    dataset="evenements_tunnel",
    title="SMTPC — tunnel incidents and closures",
    description="Breakdowns, accidents, closures and congestion in the Prado-Carénage tunnel.",
    mechanism="https_files",
    wire=_SMTPC_CSV,
    key=("id",),
    start_field="debut",
    end_field="fin",
    fields=(
        Field("id", "string", "Incident identifier.", max_length=40),
        Field("debut", "timestamp", "Start (UTC)."),
        Field("fin", "timestamp", "End (UTC)."),
        Field("sens", "string", "Direction.", allowed=TUNNEL_DIRECTIONS),
        Field(
            "type",
            "string",
            "Kind of incident.",
            allowed=(
                "PANNE",
                "ACCIDENT",
                "FERMETURE_PROGRAMMEE",
                "FERMETURE_INOPINEE",
                "CONGESTION",
                "OBJET_SUR_CHAUSSEE",
            ),
        ),
        Field("voies_fermees", "integer", "Lanes closed.", minimum=0, maximum=2),
    ),
)

METROPOLE_FERMETURES = Contract(
    partner="metropole",
    dataset="fermetures_tunnels",
    source_id="fr-fermeture-des-tunnels-exploites-par-la-metropole",
    title="Métropole — closures of the tunnels it operates",
    description="Planned and unplanned closures of the Métropole's road tunnels.",
    mechanism="opendatasoft",
    wire=_ISO_JSON,
    key=("tunnel", "sens", "date_de_debut"),
    start_field="date_de_debut",
    end_field="date_de_fin",
    fields=(
        Field("tunnel", "string", "Tunnel name.", max_length=80),
        Field("sens", "string", "Direction.", max_length=80),
        Field("date_de_debut", "timestamp", "Start of the closure."),
        Field("date_de_fin", "timestamp", "End of the closure."),
        Field("type", "string", "Planned or not.", allowed=("Programmée", "Inopinée")),
        Field("nom", "string", "Label of the closure.", max_length=160),
        Field("titrecalendrier", "string", "Calendar title.", max_length=200),
        Field("nature", "string", "Nature of the closure (works, maintenance, incident…).", max_length=80),
    ),
)

METROPOLE_RTM = Contract(
    partner="metropole",
    dataset="perturbations_rtm",
    source_id="perturbations-reseau-rtm",
    title="Métropole — RTM public-transport disruptions",
    description="Disruptions of metro, tram and bus lines with their cause and the stop concerned.",
    mechanism="opendatasoft",
    wire=_ISO_JSON,
    key=("id",),
    start_field="debut",
    end_field="fin",
    fields=(
        Field("id", "string", "Disruption identifier.", max_length=40),
        Field("ligne", "string", "Line.", max_length=20),
        Field("mode", "string", "Mode.", allowed=("metro", "tram", "bus")),
        Field("debut", "timestamp", "Start."),
        Field("fin", "timestamp", "End."),
        Field(
            "type",
            "string",
            "Kind of disruption.",
            allowed=("deviation", "interruption", "retard", "arret_non_desservi"),
        ),
        Field(
            "cause",
            "string",
            "Cause.",
            allowed=("evenement", "manifestation", "travaux", "incident_technique", "meteo", "autre"),
        ),
        Field("arret", "string", "Stop concerned.", max_length=120),
        _lat("latitude", "Stop latitude."),
        _lon("longitude", "Stop longitude."),
    ),
)

METROPOLE_DATATOURISME = Contract(
    partner="metropole",
    dataset="datatourisme_poi",
    source_id="point-dinteret-datatourisme-multi-niveaux",
    title="Métropole — DataTourisme points of interest (events)",
    description=(
        "Tourist points of interest; events are the records with niv1_categorie 'Fête et manifestation'. "
        "The portal also serves contact columns (point_de_contact, telephone, email): they are personal "
        "data and are never requested nor landed."
    ),
    mechanism="opendatasoft",
    wire=_ISO_JSON,
    key=("objectid",),
    updated_field="date_mise_a_jour",
    start_field="date_debut",
    end_field="date_fin",
    event_filter={"niv1_categorie": "Fête et manifestation"},
    fields=(
        Field("objectid", "string", "Record identifier.", max_length=40),
        Field("nom_poi", "string", "Public name of the point of interest.", max_length=200),
        Field("niv1_categorie", "string", "Top-level category.", max_length=80),
        Field("niv2_categorie", "string", "Second-level category.", nullable=True, max_length=80),
        Field("code_postal", "string", "Postcode.", pattern=r"[0-9]{5}"),
        Field("commune", "string", "Municipality.", max_length=80),
        Field("codeinsee", "string", "INSEE municipality code.", pattern=r"[0-9]{5}|2[AB][0-9]{3}"),
        Field("date_debut", "timestamp", "Start.", nullable=True),
        Field("date_fin", "timestamp", "End.", nullable=True),
        _lat("latitude", "Latitude."),
        _lon("longitude", "Longitude."),
        Field("date_mise_a_jour", "timestamp", "Last update of the record."),
    ),
)

CONTRACTS: dict[str, Contract] = {
    c.table: c
    for c in (
        VILLE_EVENEMENTS,
        VILLE_ARRETES,
        VILLE_ACTIVITE_PM,
        PREFECTURE_MANIFESTATIONS,
        PREFECTURE_VISITES,
        PREFECTURE_OPERATIONS,
        SMTPC_COMPTAGES,
        SMTPC_EVENEMENTS,
        METROPOLE_FERMETURES,
        METROPOLE_RTM,
        METROPOLE_DATATOURISME,
    )
}
PARTNERS: tuple[str, ...] = ("ville", "prefecture", "smtpc", "metropole")

# French title of every dataset (the transparency notice's reference version is French), by table name.
TITLES_FR: dict[str, str] = {
    VILLE_EVENEMENTS.table: "Ville de Marseille — événements sur l'espace public",
    VILLE_ARRETES.table: "Ville de Marseille — arrêtés de circulation et de stationnement",
    VILLE_ACTIVITE_PM.table: "Ville de Marseille — activité de la police municipale (agrégée)",
    PREFECTURE_MANIFESTATIONS.table: "Préfecture de police — manifestations (export de l'application Cortège)",
    PREFECTURE_VISITES.table: "Préfecture de police — visites officielles",
    PREFECTURE_OPERATIONS.table: "Préfecture de police — opérations programmées",
    SMTPC_COMPTAGES.table: "SMTPC — comptages du tunnel Prado-Carénage",
    SMTPC_EVENEMENTS.table: "SMTPC — incidents et fermetures du tunnel",
    METROPOLE_FERMETURES.table: "Métropole — fermetures des tunnels qu'elle exploite",
    METROPOLE_RTM.table: "Métropole — perturbations des transports en commun RTM",
    METROPOLE_DATATOURISME.table: "Métropole — points d'intérêt DataTourisme (événements)",
}


def title_fr(contract: Contract) -> str:
    """The dataset's French title (its English ``title`` when none is given)."""
    return TITLES_FR.get(contract.table, contract.title)


def get_contract(partner: str, dataset: str) -> Contract:
    """The contract of ``partner``/``dataset``, or a ``KeyError`` that lists the known datasets."""
    table = f"{partner}__{dataset}"
    if table not in CONTRACTS:
        known = ", ".join(f"{c.partner} {c.dataset}" for c in CONTRACTS.values())
        raise KeyError(f"unknown dataset {partner!r} {dataset!r}; known datasets: {known}")
    return CONTRACTS[table]


def contracts_of(partner: str) -> list[Contract]:
    return [c for c in CONTRACTS.values() if c.partner == partner]
