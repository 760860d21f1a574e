"""`painauth check --input FILE|-` as a scheduler's system calls it (check.md § the contract)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

VENV_BIN = Path(sys.executable).parent
PAINAUTH = VENV_BIN / "painauth"
REPO = Path(__file__).resolve().parents[2]
SHARED = REPO / ".." / "shared"

VALID = {
    "as_of": "2026-12-01",
    "payer": "medicare",
    "patient": {"id": "P-1001"},
    "history": [
        {"date": "2026-06-02", "codes": ["64483"],
         "outcome": {"relief_percent": 70, "duration_days": 120}},
        {"date": "2026-09-02", "codes": ["64483"],
         "outcome": {"relief_percent": 70, "duration_days": 120}},
    ],
    "other_scheduled": [],
    "conservative_care": [{"kind": "physical_therapy", "start": "2026-01-05",
                           "end": "2026-02-16"}],
    "psych_evaluations": [{"date": "2026-09-01", "result": "cleared"}],
    "scheduled": {"date": "2026-12-10",
                  "codes": ["64483", {"code": "64484", "units": 1}, "77003"],
                  "place_of_service": "11"},
}


def run_check(document: object | str, tmp_path: Path, stdin: bool = False,
              env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    text = document if isinstance(document, str) else json.dumps(document)
    environment = {k: v for k, v in os.environ.items() if k != "PAINAUTH_POLICY_DIRS"}
    environment.update(env or {})
    if stdin:
        return subprocess.run([str(PAINAUTH), "check", "--input", "-"], input=text,
                              capture_output=True, text=True, timeout=60, env=environment)
    path = tmp_path / "check.json"
    path.write_text(text, encoding="utf-8")
    return subprocess.run([str(PAINAUTH), "check", "--input", str(path)],
                          capture_output=True, text=True, timeout=60, env=environment)


def with_change(path: str, value: object) -> dict:
    """VALID with the field at a dotted path (list indexes as numbers) set to value."""
    document = json.loads(json.dumps(VALID))
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    target = document
    for key in parents:
        target = target[key]
    target[last] = value
    return document


def assert_rejected(run: subprocess.CompletedProcess[str], path: str) -> None:
    assert run.returncode == 2, run.stderr
    error = json.loads(run.stdout)["error"]
    assert error["path"] == path
    assert error["message"]
    assert run.stderr.strip()
    assert "Traceback" not in run.stderr


def test_a_valid_document_exits_0_with_the_evaluation(tmp_path):
    run = run_check(VALID, tmp_path)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["verdict"] == "ok"
    assert out["coding_ok"] is False
    assert out["next_eligible_date"] == "2026-12-10"
    assert out["procedures"][0] == {"family": "esi_transforaminal", "region": "lumbar_sacral",
                                    "levels": 2, "intent": None, "codes": ["64483", "64484"]}
    assert {"family": "esi", "region": "lumbar_sacral",
            "window": {"kind": "rolling_months", "months": 12}, "used": 2, "limit": 4,
            "policy": "medicare-esi-frequency"} in out["counters"]
    # an office TFESI under Medicare in 2026 is in WISeR's reach when the state is not given
    assert [f["code"] for f in out["findings"]] == ["IMAGING_GUIDANCE_BUNDLED",
                                                    "SERVICE_STATE_UNKNOWN"]
    assert set(out["findings"][0]) >= {"code", "severity", "message", "policy", "source"}


def test_a_document_on_stdin_gives_the_same_answer_as_a_file(tmp_path):
    from_file = run_check(VALID, tmp_path)
    from_stdin = run_check(VALID, tmp_path, stdin=True)
    assert from_stdin.returncode == 0
    assert json.loads(from_stdin.stdout) == json.loads(from_file.stdout)


def test_a_blocked_verdict_still_exits_0(tmp_path):
    document = with_change("scheduled.codes", ["62322"])
    run = run_check(document, tmp_path)
    assert run.returncode == 0
    assert json.loads(run.stdout)["verdict"] == "blocked"


def test_malformed_json_is_rejected_at_the_root(tmp_path):
    assert_rejected(run_check('{"payer": "medicare", ', tmp_path), "$")


def test_malformed_json_on_stdin_is_rejected_at_the_root(tmp_path):
    assert_rejected(run_check("not json", tmp_path, stdin=True), "$")


def test_a_missing_input_file_is_rejected(tmp_path):
    run = subprocess.run([str(PAINAUTH), "check", "--input", str(tmp_path / "nowhere.json")],
                         capture_output=True, text=True, timeout=60)
    assert_rejected(run, "$")


def test_a_document_that_is_not_an_object_is_rejected(tmp_path):
    assert_rejected(run_check([VALID], tmp_path), "$")


def test_a_missing_scheduled_session_is_rejected(tmp_path):
    document = dict(VALID)
    del document["scheduled"]
    assert_rejected(run_check(document, tmp_path), "scheduled")


@pytest.mark.parametrize(("path", "value"), [
    ("history.1.date", "2026-02-30"),
    ("history.0.date", "02/06/2026"),
    ("scheduled.date", "2026-13-01"),
    ("as_of", "yesterday"),
    ("conservative_care.0.start", "2026-1-5"),
    ("psych_evaluations.0.date", 20260901),
])
def test_a_bad_date_is_rejected_naming_its_field(tmp_path, path, value):
    assert_rejected(run_check(with_change(path, value), tmp_path), path.replace(".0.", "[0].")
                    .replace(".1.", "[1]."))


def test_an_unknown_payer_is_rejected(tmp_path):
    assert_rejected(run_check(with_change("payer", "acme"), tmp_path), "payer")


@pytest.mark.parametrize("relief", [101, -1, 100.5])
def test_relief_outside_0_to_100_is_rejected(tmp_path, relief):
    document = with_change("history.1.outcome.relief_percent", relief)
    assert_rejected(run_check(document, tmp_path), "history[1].outcome.relief_percent")


@pytest.mark.parametrize("relief", [0, 100])
def test_relief_of_0_or_100_is_accepted(tmp_path, relief):
    document = with_change("history.1.outcome.relief_percent", relief)
    assert run_check(document, tmp_path).returncode == 0


def test_negative_units_are_rejected(tmp_path):
    document = with_change("scheduled.codes", ["64483", {"code": "64484", "units": -1}])
    assert_rejected(run_check(document, tmp_path), "scheduled.codes[1].units")


def test_negative_muscles_are_rejected(tmp_path):
    document = with_change("scheduled.muscles", -2)
    document["scheduled"]["codes"] = ["20552"]
    assert_rejected(run_check(document, tmp_path), "scheduled.muscles")


def test_a_history_session_after_as_of_is_rejected(tmp_path):
    assert_rejected(run_check(with_change("history.1.date", "2026-12-02"), tmp_path),
                    "history[1].date")


def test_a_history_session_on_as_of_is_accepted(tmp_path):
    assert run_check(with_change("history.1.date", "2026-12-01"), tmp_path).returncode == 0


def test_a_scheduled_date_before_as_of_is_rejected(tmp_path):
    assert_rejected(run_check(with_change("scheduled.date", "2026-11-30"), tmp_path),
                    "scheduled.date")


def test_an_unknown_care_kind_is_rejected(tmp_path):
    assert_rejected(run_check(with_change("conservative_care.0.kind", "yoga"), tmp_path),
                    "conservative_care[0].kind")


def test_a_payer_added_by_the_practice_is_accepted(tmp_path):
    folder = tmp_path / "practice"
    folder.mkdir()
    (folder / "humana.yaml").write_text(
        "payer: humana\nrules:\n  - id: humana-pa\n    type: prior_auth\n    group: esi\n"
        "    source: test\n    confidence: C\n", encoding="utf-8")
    run = run_check(with_change("payer", "humana"), tmp_path,
                    env={"PAINAUTH_POLICY_DIRS": str(folder)})
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["verdict"] == "needs_auth"


def test_broken_practice_policies_are_reported_without_a_traceback(tmp_path):
    folder = tmp_path / "practice"
    folder.mkdir()
    (folder / "aetna.yaml").write_text(
        "payer: aetna\nrules:\n  - id: aetna-esi-frequency\n    type: frequency\n"
        "    group: esi\n    window: {rolling_months: 12}\n    limit: 0\n    source: test\n"
        "    confidence: C\n", encoding="utf-8")
    run = run_check(VALID, tmp_path, env={"PAINAUTH_POLICY_DIRS": str(folder)})
    assert run.returncode == 2
    message = json.loads(run.stdout)["error"]["message"]
    assert "aetna.yaml" in message and "aetna-esi-frequency" in message and "limit" in message
    assert "Traceback" not in run.stderr


def test_an_impossible_date_in_practice_policies_is_reported_as_a_policy_error(tmp_path):
    folder = tmp_path / "practice"
    folder.mkdir()
    (folder / "aetna.yaml").write_text(
        "payer: aetna\nrules:\n  - id: aetna-esi-frequency\n    type: frequency\n"
        "    group: esi\n    window: {rolling_months: 12}\n    limit: 3\n    source: test\n"
        "    confidence: C\n    effective_from: 2026-02-30\n", encoding="utf-8")
    run = run_check(VALID, tmp_path, env={"PAINAUTH_POLICY_DIRS": str(folder)})
    assert run.returncode == 2
    assert "aetna.yaml" in json.loads(run.stdout)["error"]["message"]


NO_HEAVY_IMPORTS = """
import contextlib, io, sys
from tracker.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out:
    code = main(["check", "--input", sys.argv[1]])
assert code == 0, (code, out.getvalue())
heavy = sorted(m for m in ("prefect", "sqlmodel", "sqlalchemy", "fastapi", "httpx")
               if m in sys.modules)
print(",".join(heavy))
"""


def test_check_does_not_import_prefect_the_database_or_the_web_stack(tmp_path):
    path = tmp_path / "check.json"
    path.write_text(json.dumps(VALID), encoding="utf-8")
    run = subprocess.run([sys.executable, "-c", NO_HEAVY_IMPORTS, str(path)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == ""


def test_the_shared_examples_pass_verify_py():
    verify = SHARED / "spec" / "verify.py"
    if not verify.exists():
        pytest.skip(f"{verify.resolve()} not found: the shared folder is not beside the repo")
    env = dict(os.environ, PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("PAINAUTH_POLICY_DIRS", None)
    run = subprocess.run(["python3", str(verify)], capture_output=True, text=True, timeout=300,
                         env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    assert " 0 failed" in run.stdout
