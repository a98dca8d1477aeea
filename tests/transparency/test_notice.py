"""The transparency notice: generated from the data, figures equal to the data, absences said."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from observatoire.cli import main
from observatoire.similarity.build import build_similarity_index
from observatoire.transparency.notice import format_number, write_notice
from tests.similarity.synthetic import synthetic_frame, write_warehouse


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("notice")
    db = write_warehouse(folder / "observatoire.duckdb", synthetic_frame(1500, seed=21))
    build_similarity_index(db)
    return db


def _with_publish_log(db: Path, target: Path) -> Path:
    shutil.copy(db, target)
    with duckdb.connect(str(target)) as con:
        con.execute(
            "CREATE TABLE main.publish_log (run_id VARCHAR, published_at TIMESTAMPTZ, tables_published INTEGER, "
            "rows_per_table JSON, gate_passed BOOLEAN, gate_summary JSON, cells_suppressed JSON, "
            "index_fingerprint VARCHAR, data_snapshot VARCHAR, data_snapshot_detail JSON)"
        )
        con.execute(
            "INSERT INTO main.publish_log VALUES ('run-1', '2026-11-20 08:00:00+00', 7, '{}', true, "
            "'{\"checks\": 42, \"failed\": 0}', '{\"fct_event\": 3}', 'x', '12 deliveries', "
            '\'{"deliveries": 12, "latest": {"ville__evenements": "ville-evenements-20261119"}}\')'
        )
    return target


def test_notice_figures_come_from_the_data(published: Path, tmp_path: Path) -> None:
    db = _with_publish_log(published, tmp_path / "with_log.duckdb")
    written = write_notice(db, tmp_path / "out")
    names = sorted(p.name for p in written)
    assert names == ["index.html", "notice_en.html", "notice_en.md", "notice_fr.html", "notice_fr.md"]
    fr = (tmp_path / "out" / "notice_fr.md").read_text(encoding="utf-8")
    en = (tmp_path / "out" / "notice_en.md").read_text(encoding="utf-8")
    with duckdb.connect(str(db), read_only=True) as con:
        total, took = con.execute(
            "SELECT count(*), count(*) FILTER (took_place) FROM marts.fct_event"
        ).fetchone()  # type: ignore[misc]
        pairs = con.execute("SELECT count(*) FROM marts.event_similarity").fetchone()[0]  # type: ignore[index]
        evaluation = con.execute(
            "SELECT outcome, method, mae, n_events FROM marts.similarity_evaluation"
        ).fetchall()
        fingerprint = con.execute(
            "SELECT any_value(config_fingerprint) FROM marts.similarity_parameters"
        ).fetchone()[0]  # type: ignore[index]
    assert f"**{format_number(total, 0, 'en')} events**" in en
    assert f"**{format_number(total, 0, 'fr')} événements**" in fr
    assert format_number(took, 0, "en") in en and format_number(pairs, 0, "en") in en
    assert fingerprint in en and fingerprint in fr
    for _, _, mae, _ in evaluation:
        assert format_number(mae, 2, "en") in en
        assert format_number(mae, 2, "fr") in fr
    assert "| Nature | 3 | 25% |" in en  # weight of nature and its share, from similarity_parameters
    assert "ville-evenements-20261119" in en and "passed" in en and "réussi" in fr
    assert "only supports a human decision" in en and "L311-3-1" in fr
    html = (tmp_path / "out" / "notice_en.html").read_text(encoding="utf-8")
    assert "<table>" in html and "<h1>" in html


def test_notice_reports_losses_honestly(published: Path, tmp_path: Path) -> None:
    with duckdb.connect(str(published), read_only=True) as con:
        rows = con.execute(
            "SELECT outcome FROM marts.similarity_evaluation WHERE method <> 'similarity_index' "
            "GROUP BY outcome HAVING bool_or(index_beats = false)"
        ).fetchall()
    write_notice(published, tmp_path)
    en = (tmp_path / "notice_en.md").read_text(encoding="utf-8")
    if rows:
        assert "does not beat at least one simple method" in en
    else:
        assert "does not beat" not in en


def test_missing_tables_are_said_not_available(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["transparency", "--db", str(tmp_path / "absent.duckdb"), "--out", str(tmp_path / "o")]) == 0
    en = (tmp_path / "o" / "notice_en.md").read_text(encoding="utf-8")
    assert "not available" in en
    assert "notice_fr.md" in capsys.readouterr().out


def test_french_notice_reads_french(published: Path, tmp_path: Path) -> None:
    """Dataset titles, dates, plurals and the masked outcome are French, and their figures are the data's."""
    from observatoire.contracts import CONTRACTS
    from observatoire.contracts.registry import TITLES_FR
    from observatoire.privacy.rules import published_rules

    db = _with_publish_log(published, tmp_path / "with_log.duckdb")
    k = published_rules().k
    with duckdb.connect(str(db)) as con:
        con.execute(
            f"UPDATE marts.fct_event SET offences_atteinte_personnes = NULL WHERE offences_atteinte_personnes BETWEEN 1 AND {k - 1}"
        )
        masked = con.execute(
            "SELECT count(*) FILTER (offences_atteinte_personnes IS NULL) FROM marts.fct_event"
        ).fetchone()[0]  # type: ignore[index]
    assert masked > 1
    write_notice(db, tmp_path / "out")
    fr = (tmp_path / "out" / "notice_fr.md").read_text(encoding="utf-8")
    en = (tmp_path / "out" / "notice_en.md").read_text(encoding="utf-8")
    assert set(TITLES_FR) == set(CONTRACTS)  # every dataset has its French title
    for table, contract in CONTRACTS.items():
        assert TITLES_FR[table].split(" — ", 1)[1][1:] in fr, table
        assert contract.title.split(" — ", 1)[1] not in fr, table
    assert "(s)" not in fr and "(s)" not in en
    assert "2026-" not in fr.split("## 2.")[1].split("## 3.")[0]  # dates written out, not ISO
    assert f"les petits nombres (de 1 à {k - 1}) sont masqués" in fr
    assert f"({format_number(masked, 0, 'fr')} événements concernés)" in fr
    assert "calculée sur les seuls événements similaires dont le nombre est publié" in fr
    assert "over the similar events whose count is published only" in en
    assert "| Secteur | 1 | 8\u202f% | — | secteurs différents |" in fr  # no scale for a category
    assert "un rapport de 2 entre les deux" in fr  # duration: 10 ** 0.3, from the scale
    assert "le 20 novembre 2026 à 9 h 00 (heure de Paris)" in fr  # published_at, 08:00 UTC
    assert "valeurs masquées : 3 dans fct_event" in fr


def test_masked_outcome_is_left_out_of_the_forecast(published: Path, tmp_path: Path) -> None:
    """What the notice says: the forecast averages only the neighbours whose count is published."""
    from observatoire.similarity import PlannedEvent, query_planned_event

    db = tmp_path / "masked.duckdb"
    shutil.copy(published, db)
    with duckdb.connect(str(db)) as con:
        con.execute(
            "UPDATE marts.fct_event SET offences_atteinte_personnes = NULL WHERE hash(event_id) % 2 = 0"
        )
    planned = PlannedEvent(
        nature="concert", place="Dôme", starts_at="2027-06-01 20:00", duration_hours=3, participants=5000
    )
    result = query_planned_event(db, planned)
    values = [n.outcomes["offences_atteinte_personnes"] for n in result.neighbours]
    weights = [n.similarity for n in result.neighbours]
    known = [(w, v) for w, v in zip(weights, values, strict=True) if v is not None]
    assert 0 < len(known) < len(values)  # some neighbours have their count masked, some not
    forecast = result.forecast["offences_atteinte_personnes"]
    assert forecast is not None
    assert abs(forecast - sum(w * v for w, v in known) / sum(w for w, _ in known)) < 1e-12
