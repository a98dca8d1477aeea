"""``observatoire generate``: draw the world, let partners report it, write their stores and the truth.

The store layout is the one fixed in ``docs/architecture.md`` (``partners/``). The output is a pure
function of (start, end, seed, scale): byte-identical for the same arguments. The store is written in a
temporary sibling directory and swapped in at the end, so a reader never sees half a store.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..contracts import CONTRACTS
from ..errors import BadInput
from ..geography import sector_of
from .baselines import (
    Period,
    finalise_tunnel_incident_ids,
    metropole_closures,
    police_activity,
    rtm_baseline,
    tunnel_counts,
    tunnel_incidents,
)
from .outcomes import Latent, draw_latent
from .randomness import Draws
from .reporting import Reporter
from .world import RealEvent, WorldBuilder
from .writers import (
    city_fields,
    days_of,
    iso_local,
    iso_utc_offset,
    metropole_fields,
    write_jsonl,
    write_police,
    write_prefecture,
    write_tunnel_counts,
    write_tunnel_incidents,
)

GENERATOR_VERSION = "1.0.0"
MAX_DAYS = 366 * 30
DATATOURISME_PLACES_AT_SCALE_1 = 300
WORKS_ORDERS_PER_YEAR = 2500

# Where each dataset lives in the store, relative to ``partners/``.
STORE_PATHS: dict[str, str] = {
    "ville__evenements": "ville/evenements.jsonl",
    "ville__arretes_circulation": "ville/arretes_circulation.jsonl",
    "ville__activite_police_municipale": "ville/activite_police_municipale/",
    "prefecture__manifestations": "prefecture/manifestations/",
    "prefecture__visites_officielles": "prefecture/visites_officielles/",
    "prefecture__operations_programmees": "prefecture/operations_programmees/",
    "smtpc__comptages": "smtpc/comptages/",
    "smtpc__evenements_tunnel": "smtpc/evenements_tunnel/",
    "metropole__fermetures_tunnels": "metropole/fermetures_tunnels.jsonl",
    "metropole__perturbations_rtm": "metropole/perturbations_rtm.jsonl",
    "metropole__datatourisme_poi": "metropole/datatourisme_poi.jsonl",
}


@dataclass
class Summary:
    rows: dict[str, int] = field(default_factory=dict)
    files: dict[str, int] = field(default_factory=dict)
    real_events: int = 0
    seconds: float = 0.0


class Progress:
    """Step-by-step progress on stderr (quiet in tests)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.started = time.perf_counter()

    def __call__(self, message: str) -> None:
        if self.enabled:
            print(
                f"[generate {time.perf_counter() - self.started:6.1f}s] {message}",
                file=sys.stderr,
                flush=True,
            )


@dataclass
class World:
    """The drawn world before the heavy baselines (police activity, tunnel counts) are computed."""

    period: Period
    events: list[RealEvent]
    latents: list[Latent]
    reporter: Reporter
    police_rng: np.random.Generator
    tunnel_rng: np.random.Generator


def draw_world(start: date, end: date, seed: int, scale: float) -> World:
    """Real events, their latent outcomes and every partner record except the two big baselines.

    Each stage has its own child seed so that changing one stage's draws leaves the others alone.
    """
    seeds = np.random.SeedSequence(seed).spawn(6)
    world_rng, latent_rng, report_rng, police_rng, tunnel_rng, misc_rng = (
        np.random.default_rng(s) for s in seeds
    )
    period = Period(start, end)
    events = WorldBuilder(start, end, scale, Draws(world_rng)).build()
    latent_draws = Draws(latent_rng)
    latents = [draw_latent(event, latent_draws) for event in events]
    reporter = Reporter(start, end, Draws(report_rng))
    for event, latent in zip(events, latents, strict=True):
        reporter.report(event, latent)
    reporter.datatourisme_places(max(1, round(DATATOURISME_PLACES_AT_SCALE_1 * min(scale, 1.0))))
    reporter.works_orders(WORKS_ORDERS_PER_YEAR, scale)
    misc_draws = Draws(misc_rng)
    tunnel_incidents(period, scale, misc_draws, reporter)
    metropole_closures(period, scale, misc_draws, reporter)
    rtm_baseline(period, scale, misc_draws, reporter)
    return World(period, events, latents, reporter, police_rng, tunnel_rng)


def generate(
    start: date,
    end: date,
    seed: int,
    scale: float,
    out: Path,
    progress: Callable[[str], None] | None = None,
) -> Summary:
    """Write the partners' stores for [start, end] (local days, inclusive) into ``out``."""
    if end < start:
        raise BadInput(f"--end {end} is before --start {start}")
    if (end - start).days + 1 > MAX_DAYS:
        raise BadInput(f"the period is longer than {MAX_DAYS} days")
    if not (0 < scale <= 20):
        raise BadInput(f"--scale must be in (0, 20], not {scale}")
    if seed < 0:
        raise BadInput("--seed must be a non-negative integer")
    out = out.resolve()
    if out.exists() and any(out.iterdir()) and not (out / "manifest.json").exists():
        raise BadInput(
            f"{out} is not empty and holds no partners' store (manifest.json): refusing to replace it"
        )
    say = progress or (lambda _message: None)
    clock = time.perf_counter()

    world = draw_world(start, end, seed, scale)
    events, latents, reporter, period = world.events, world.latents, world.reporter, world.period
    say(f"world: {len(events)} real events, partner records drawn")

    police, extra_facts, extra_interventions = police_activity(
        period, scale, world.police_rng, events, latents
    )
    say(f"police activity: {len(police)} rows")
    counts = tunnel_counts(period, world.tunnel_rng, Draws(world.tunnel_rng), reporter, events, latents)
    finalise_tunnel_incident_ids(reporter)
    say(f"tunnel counts: {len(counts)} rows")

    staging = out.parent / f".{out.name}.tmp-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    summary = Summary(real_events=len(events))
    deliveries = reporter.deliveries
    local_days = days_of(start, end)

    def record(table: str, rows: int, files: int = 1) -> None:
        summary.rows[table] = rows
        summary.files[table] = files

    record("ville__evenements", write_jsonl(
        staging / STORE_PATHS["ville__evenements"], sorted(deliveries.city_events, key=lambda r: r["id"]),
        city_fields("evenements"), iso_local))  # fmt: skip
    record("ville__arretes_circulation", write_jsonl(
        staging / STORE_PATHS["ville__arretes_circulation"], sorted(deliveries.traffic_orders, key=lambda r: r["id"]),
        city_fields("arretes_circulation"), iso_local))  # fmt: skip
    record("metropole__fermetures_tunnels", write_jsonl(
        staging / STORE_PATHS["metropole__fermetures_tunnels"],
        sorted(deliveries.closures, key=lambda r: (r["date_de_debut"], r["tunnel"], r["sens"])),
        metropole_fields("fermetures_tunnels"), iso_utc_offset))  # fmt: skip
    record("metropole__perturbations_rtm", write_jsonl(
        staging / STORE_PATHS["metropole__perturbations_rtm"], sorted(deliveries.rtm, key=lambda r: r["id"]),
        metropole_fields("perturbations_rtm"), iso_utc_offset))  # fmt: skip
    record("metropole__datatourisme_poi", write_jsonl(
        staging / STORE_PATHS["metropole__datatourisme_poi"], sorted(deliveries.datatourisme, key=lambda r: r["objectid"]),
        metropole_fields("datatourisme_poi"), iso_utc_offset))  # fmt: skip
    say("JSON records written")
    for dataset, exports in deliveries.prefecture.items():
        rows = write_prefecture(staging / "prefecture", dataset, exports, local_days)
        record(f"prefecture__{dataset}", rows, len(local_days))
    record("ville__activite_police_municipale",
           write_police(staging / STORE_PATHS["ville__activite_police_municipale"], police, period.hours_utc(), local_days),
           len(local_days))  # fmt: skip
    say("police and Préfecture files written")
    utc_days = days_of(start, end)
    record(
        "smtpc__comptages",
        write_tunnel_counts(staging / STORE_PATHS["smtpc__comptages"], counts, utc_days),
        len(utc_days),
    )
    record("smtpc__evenements_tunnel",
           write_tunnel_incidents(staging / STORE_PATHS["smtpc__evenements_tunnel"], deliveries.tunnel_incidents, utc_days),
           len(utc_days))  # fmt: skip
    say("SMTPC files written")

    _write_truth(staging / "truth", events, latents, extra_facts, extra_interventions, deliveries.truth_links)
    summary.seconds = time.perf_counter() - clock
    _write_manifest(staging / "manifest.json", start, end, seed, scale, summary)

    if out.exists():
        previous = out.parent / f".{out.name}.old-{os.getpid()}"
        out.rename(previous)
        staging.rename(out)
        shutil.rmtree(previous)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging.rename(out)
    summary.seconds = time.perf_counter() - clock
    say(f"done in {summary.seconds:.1f}s")
    return summary


def _write_truth(
    directory: Path,
    events: list[Any],
    latents: list[Any],
    extra_facts: np.ndarray,
    extra_interventions: np.ndarray,
    links: list[dict[str, Any]],
) -> None:
    """Ground truth: one row per real event (with its latent outcome values) and one per partner record."""
    directory.mkdir(parents=True, exist_ok=True)
    rows = []
    for event, latent, facts, interventions in zip(
        events, latents, extra_facts.tolist(), extra_interventions.tolist(), strict=True
    ):
        rows.append(
            {
                "true_event_id": event.true_id,
                "kind": event.kind,
                "nature": event.nature,
                "title": event.title,
                "place": event.place,
                "latitude": event.latitude,
                "longitude": event.longitude,
                "arrondissement": event.arrondissement,
                "sector": sector_of(event.arrondissement),
                "starts_at": pd.Timestamp(event.start).tz_convert("UTC"),
                "ends_at": pd.Timestamp(event.end).tz_convert("UTC"),
                "participants": event.participants,
                "emprise_m2": event.emprise_m2,
                "status": event.status,
                "demo_form": event.demo_form,
                "visit_level": event.visit_level,
                **{f"latent_{name}": value for name, value in vars(latent).items()},
                "realised_extra_facts": facts,
                "realised_extra_interventions": interventions,
            }
        )
    pd.DataFrame(rows).to_parquet(directory / "events.parquet", index=False)
    links_frame = pd.DataFrame(links, columns=["true_event_id", "partner", "dataset", "record_id", "role"])
    links_frame = links_frame.sort_values(["partner", "dataset", "record_id"], kind="stable").reset_index(
        drop=True
    )
    links_frame.to_parquet(directory / "records.parquet", index=False)


def _write_manifest(path: Path, start: date, end: date, seed: int, scale: float, summary: Summary) -> None:
    datasets = {}
    for table, contract in CONTRACTS.items():
        datasets[table] = {
            "partner": contract.partner,
            "dataset": contract.dataset,
            "contract_version": contract.version,
            "path": STORE_PATHS[table],
            "rows": summary.rows.get(table, 0),
            "files": summary.files.get(table, 0),
            "format": "jsonl" if STORE_PATHS[table].endswith(".jsonl") else "daily csv",
        }
    manifest = {
        "generator": "observatoire.simulation",
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "scale": scale,
        "timezone": "Europe/Paris",
        "daily_files": {
            "ville/activite_police_municipale": "one file per Europe/Paris day",
            "prefecture/*": "one file per Europe/Paris day: the records created or updated that day",
            "smtpc/*": "one file per UTC day (timestamps in UTC)",
        },
        "real_events": summary.real_events,
        "datasets": datasets,
        "truth": {
            "events": "truth/events.parquet",
            "records": "truth/records.parquet",
            "note": "never served; links every partner record to its real event (null for records that are not events)",
        },
    }
    path.write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )


def summary_text(summary: Summary) -> str:
    width = max(len(name) for name in summary.rows)
    lines = [
        f"{name:<{width}}  {rows:>10,} rows  {summary.files[name]:>6,} files"
        for name, rows in sorted(summary.rows.items())
    ]
    lines.append(f"{summary.real_events:,} real events; {summary.seconds:.1f} s")
    return "\n".join(lines)
