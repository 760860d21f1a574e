"""`painauth db upgrade`, `painauth import` and `--errors`, and the drop-folder flow."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine

from flows.import_practice_data import import_practice_data
from tracker.cli import main
from tracker.store.tables import PatientRow, SessionRow

from .practice_files import GOOD_ROWS, count, write_csv


@pytest.fixture
def configured(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    monkeypatch.setenv("PAINAUTH_DATABASE_URL", database_url)
    monkeypatch.setenv("PAINAUTH_HOME", str(tmp_path / "home"))
    return database_url


def test_import_prints_a_summary_and_errors_lists_what_was_quarantined(
        configured: str, engine: Engine, samples: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    bad = write_csv(tmp_path, "patients", [{**GOOD_ROWS["patients"], "birth_date": "1960-02-30"}],
                    name="more_patients.csv")
    assert main(["import", str(samples), str(bad)]) == 1
    out, err = capsys.readouterr()
    assert "import summary" in out and "sessions" in out
    assert f"{bad}, line 2, field birth_date" in err
    assert "Traceback" not in out + err

    assert main(["import", "--errors"]) == 0
    out, _ = capsys.readouterr()
    assert "more_patients.csv" in out and "birth_date" in out and "not a date" in out
    assert count(engine, SessionRow) == 11


def test_import_of_a_missing_file_names_it(configured: str, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", str(tmp_path / "nowhere.csv")]) == 1
    _, err = capsys.readouterr()
    assert "nowhere.csv" in err and "no such file" in err


def test_import_before_db_upgrade_says_to_run_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("PAINAUTH_DATABASE_URL", raising=False)
    monkeypatch.setenv("PAINAUTH_HOME", str(tmp_path / "home"))
    assert main(["import", str(tmp_path)]) == 1
    _, err = capsys.readouterr()
    assert "painauth db upgrade" in err and "Traceback" not in err

    assert main(["db", "upgrade"]) == 0
    assert (tmp_path / "home" / "painauth.sqlite").exists()
    assert main(["import", "--errors"]) == 0


def test_db_upgrade_with_an_unreachable_server_explains_without_the_password(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PAINAUTH_DATABASE_URL",
                       "postgresql+psycopg://app:s3cret@127.0.0.1:1/painauth?connect_timeout=2")
    assert main(["db", "upgrade"]) == 1
    _, err = capsys.readouterr()
    assert "could not upgrade" in err and "s3cret" not in err


def test_drop_folder_flow_imports_files_and_moves_them_to_done(
        configured: str, engine: Engine, samples: Path, tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    shutil.copytree(samples, drop)
    (drop / "garbage.csv").write_text("when,what\n1,2\n")

    totals = import_practice_data.fn(str(drop))

    assert totals["patients"]["loaded"] == 5
    assert count(engine, PatientRow) == 5
    assert sorted(p.name for p in (drop / "done").iterdir()) == sorted(
        p.name for p in samples.iterdir() if p.is_file())
    assert [p.name for p in (drop / "failed").iterdir()] == ["garbage.csv"]
    assert not list(drop.glob("*.csv"))
