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
