"""`painauth auth show` and `painauth auth export`, run as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tracker.packages.fhir_validation import r4b_problems
from tracker.packages.pas_rules import package_problems
from tracker.packages.preparation import prepare_authorization

from .practice import TODAY, Practice

PAINAUTH = [sys.executable, "-m", "tracker.cli"]


def _run(database_url: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PAINAUTH_DATABASE_URL": database_url, "PAINAUTH_HOME": str(cwd)}
    env.pop("PAINAUTH_DEBUG", None)
    return subprocess.run([*PAINAUTH, *args], capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=120, check=False)


def test_show_prints_the_package_status_history_and_what_is_missing(
        practice: Practice, database_url: str, tmp_path: Path) -> None:
    auth_id = practice.authorization_id("PKG-SCS-PSYCH")
    prepare_authorization(practice.engine, auth_id, "billing:alex", as_of=TODAY)

    done = _run(database_url, "auth", "show", str(auth_id), "--as-of", "2026-12-01",
                cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert f"Authorization {auth_id}: documentation_missing" in out
    assert "PKG-SCS-PSYCH" in out and "CGN2000001" in out and "63650" in out
    assert "G89.4" in out and "[psych-evaluation]" in out
    assert "PSYCH_CLEARANCE_EXPIRED" in out
    assert "(opened) -> documentation_missing by pre-visit-check" in out


def test_export_writes_a_valid_pas_bundle_and_a_pdf_packet(
        practice: Practice, database_url: str, tmp_path: Path) -> None:
    auth_id = practice.authorization_id("SYN-1002")
    bundle_path, packet_path = tmp_path / "bundle.json", tmp_path / "packet.pdf"

    fhir = _run(database_url, "auth", "export", str(auth_id), "--format", "fhir",
                "--out", str(bundle_path), "--identifier", "attempt-7", "--with-packet",
                cwd=tmp_path)
    pdf = _run(database_url, "auth", "export", str(auth_id), "--format", "pdf",
               "--out", str(packet_path), cwd=tmp_path)

    assert fhir.returncode == 0, fhir.stderr
    bundle = json.loads(bundle_path.read_text(encoding="utf-8"))
    assert bundle["identifier"]["value"] == "attempt-7"
    assert package_problems(bundle) == [] and r4b_problems(bundle) == []
    assert pdf.returncode == 0, pdf.stderr
    assert packet_path.read_bytes().startswith(b"%PDF")


def test_export_refuses_a_bundle_that_is_not_a_valid_request(
        practice: Practice, database_url: str, tmp_path: Path) -> None:
    out = tmp_path / "bundle.json"
    done = _run(database_url, "auth", "export", str(practice.authorization_id("PKG-ESI-NODX")),
                "--format", "fhir", "--out", str(out), cwd=tmp_path)

    assert done.returncode == 1
    assert "no diagnosis" in done.stderr and "nothing was written" in done.stderr
    assert not out.exists()


def test_unknown_authorization_and_bad_input_get_a_message_not_a_traceback(
        practice: Practice, database_url: str, tmp_path: Path) -> None:
    unknown = _run(database_url, "auth", "show", "9999", cwd=tmp_path)
    bad_day = _run(database_url, "auth", "show", "1", "--as-of", "yesterday", cwd=tmp_path)
    bad_format = _run(database_url, "auth", "export", "1", "--format", "xml", "--out", "x",
                      cwd=tmp_path)

    assert unknown.returncode == 2 and "no authorization with id 9999" in unknown.stderr
    assert bad_day.returncode == 2 and "'--as-of': 'yesterday' is not a date" in bad_day.stderr
    assert bad_format.returncode == 2
    assert "'--format': 'xml' is not one of 'fhir', 'pdf'" in bad_format.stderr
    for done in (unknown, bad_day, bad_format):
        assert "Traceback" not in done.stderr
