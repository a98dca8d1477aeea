"""Pairwise precision and recall of the warehouse's event deduplication against the generator's truth.

Two partner records are "together" when the warehouse puts them in one event (fct_event's source_ids:
event records and the reports attached to them) and, in the truth, when the generator made them for one
real event (``truth/records.parquet``: true_event_id per partner record, null for records that are not
events). Every record of the matched datasets counts, including those the warehouse leaves alone
(unmatched orders and disruptions, DataTourisme places that are not events): they are singletons.

precision = pairs together in both / pairs together in the warehouse
recall    = pairs together in both / pairs together in the truth
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

# datasets whose records the warehouse merges into events (tunnel incidents and closures are outcomes)
MATCHED_DATASETS = (
    "ville__evenements",
    "ville__arretes_circulation",
    "prefecture__manifestations",
    "prefecture__visites_officielles",
    "prefecture__operations_programmees",
    "metropole__perturbations_rtm",
    "metropole__datatourisme_poi",
)


@dataclass(frozen=True)
class DedupQuality:
    records: int
    predicted_pairs: int
    true_pairs: int
    common_pairs: int

    @property
    def precision(self) -> float:
        return self.common_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.common_pairs / self.true_pairs if self.true_pairs else 1.0


def measure(warehouse: Path, truth_records: Path, per_dataset: bool = False) -> DedupQuality:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        datasets = ", ".join(f"'{d}'" for d in MATCHED_DATASETS)
        con.execute(
            f"""
            create temp table truth as
            select
                partner || ':' || partner || '__' || dataset || ':' || record_id as record_key,
                coalesce(true_event_id, 'alone:' || partner || ':' || dataset || ':' || record_id) as true_cluster
            from read_parquet('{truth_records}')
            where partner || '__' || dataset in ({datasets})
            """
        )
        con.execute(
            """
            create temp table predicted as
            select distinct unnest(string_split(source_ids, ',')) as record_key, event_id as predicted_cluster
            from marts.fct_event
            """
        )
        row = con.execute(
            """
            with joined as (
                select
                    truth.record_key,
                    truth.true_cluster,
                    coalesce(predicted.predicted_cluster, 'alone:' || truth.record_key) as predicted_cluster
                from truth
                left join predicted on truth.record_key = predicted.record_key
            ),
            cells as (select predicted_cluster, true_cluster, count(*) as n from joined group by all),
            p as (select count(*) as n from joined group by predicted_cluster),
            t as (select count(*) as n from joined group by true_cluster)
            select
                (select count(*) from joined),
                (select coalesce(sum(n * (n - 1) / 2), 0) from p),
                (select coalesce(sum(n * (n - 1) / 2), 0) from t),
                (select coalesce(sum(n * (n - 1) / 2), 0) from cells)
            """
        ).fetchone()
        return DedupQuality(*(int(v) for v in row))
    finally:
        con.close()


def confusion_examples(warehouse: Path, truth_records: Path, limit: int = 20) -> list[tuple]:
    """Pairs the warehouse merged but the truth did not (and the reverse), to tune the rules."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        con.execute(
            f"""
            create temp table truth as
            select partner || ':' || partner || '__' || dataset || ':' || record_id as record_key, true_event_id
            from read_parquet('{truth_records}')
            """
        )
        con.execute(
            """
            create temp table predicted as
            select distinct unnest(string_split(source_ids, ',')) as record_key, event_id
            from marts.fct_event
            """
        )
        false_merges = con.execute(
            f"""
            select 'false_merge', split_part(a.record_key, ':', 2) as a_ds, split_part(b.record_key, ':', 2) as b_ds, count(*)
            from predicted a join predicted b on a.event_id = b.event_id and a.record_key < b.record_key
            join truth ta on ta.record_key = a.record_key join truth tb on tb.record_key = b.record_key
            where ta.true_event_id is distinct from tb.true_event_id or ta.true_event_id is null
            group by all order by 4 desc limit {limit}
            """
        ).fetchall()
        missed = con.execute(
            f"""
            select 'missed', split_part(ta.record_key, ':', 2), split_part(tb.record_key, ':', 2), count(*)
            from truth ta join truth tb on ta.true_event_id = tb.true_event_id and ta.record_key < tb.record_key
            left join predicted a on a.record_key = ta.record_key
            left join predicted b on b.record_key = tb.record_key
            where (a.event_id is distinct from b.event_id or a.event_id is null)
              and split_part(ta.record_key, ':', 2) in {MATCHED_DATASETS}
              and split_part(tb.record_key, ':', 2) in {MATCHED_DATASETS}
            group by all order by 4 desc limit {limit}
            """
        ).fetchall()
        return false_merges + missed
    finally:
        con.close()
