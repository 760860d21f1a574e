"""Mutated check documents through every door — the in-process reader, `painauth check` and
`POST /api/check`: never a crash, never exit 1, never a 500, and every error names a path."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.errors import InputError
from tracker.importers.json_document import load_json_document
from tracker.store import connect, upgrade
from tracker.store.users import add_user
from tracker.visits.checking import check
from tracker.web.app import create_app

from .mutations import as_text, mutated

TODAY = date(2026, 12, 1)
PAINAUTH = Path(sys.executable).parent / "painauth"
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _verdict_or_error(text: str | bytes) -> dict[str, Any]:
    try:
        return check(load_json_document(text), TODAY)
    except InputError as err:
        assert err.path, f"an error without a path: {err.message}"
        assert err.message
        return {"error": {"path": err.path, "message": err.message}}


@FAST
@given(mutated())
def test_a_mutated_document_is_evaluated_or_refused_naming_a_path(document: Any) -> None:
    answer = _verdict_or_error(as_text(document))
    assert "verdict" in answer or answer["error"]["path"]


@FAST
@given(st.binary(max_size=200))
def test_any_bytes_are_evaluated_or_refused_naming_a_path(raw: bytes) -> None:
    _verdict_or_error(raw)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'painauth.sqlite'}"
    upgrade(url)
    engine = connect(url)
    add_user(engine, "fuzz.scheduler", "scheduler", "synthetic-password-1")
    with TestClient(create_app(engine, "fuzz-secret-" + "x" * 40, today=lambda: TODAY)) as client:
        login = client.get("/login")
        token = login.text.split('name="token" value="', 1)[1].split('"', 1)[0]
        client.post("/login", data={"name": "fuzz.scheduler", "password": "synthetic-password-1",
                                    "token": token})
        yield client
    engine.dispose()


@settings(max_examples=60, deadline=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(mutated())
def test_the_api_answers_a_mutated_document_with_200_or_a_400_naming_a_path(
        api: TestClient, document: Any) -> None:
    response = api.post("/api/check", content=as_text(document).encode(),
                        headers={"Content-Type": "application/json"})
    assert response.status_code in (200, 400), response.text[:500]
    if response.status_code == 400:
        assert response.json()["error"]["path"]


@settings(max_examples=6, deadline=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(mutated())
def test_painauth_check_exits_0_or_2_with_an_error_naming_a_path(tmp_path: Path,
                                                                 document: Any) -> None:
    path = tmp_path / "check.json"
    path.write_text(as_text(document), encoding="utf-8")
    run = subprocess.run([str(PAINAUTH), "check", "--input", str(path)], capture_output=True,
                         text=True, timeout=120)
    assert run.returncode in (0, 2), run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    if run.returncode == 2:
        assert json.loads(run.stdout)["error"]["path"]


def test_painauth_check_refuses_a_document_nested_1000_deep_with_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"payer": ' + "[" * 1000 + "]" * 1000 + "}", encoding="utf-8")
    run = subprocess.run([str(PAINAUTH), "check", "--input", str(path)], capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 2, run.stderr
    assert json.loads(run.stdout)["error"] == {
        "path": "$", "message": "the document is nested deeper than 64 arrays/objects (at line 1 "
                                "column 74); flatten it"}


def test_the_api_refuses_a_document_nested_5000_deep_with_400(api: TestClient) -> None:
    response = api.post("/api/check", content=b"[" * 5000 + b"]" * 5000,
                        headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["path"] == "$"


@pytest.mark.parametrize("depth, accepted", [(64, True), (65, False)])
def test_sixty_four_levels_are_read_and_sixty_five_refused(depth: int, accepted: bool) -> None:
    text = "[" * depth + "]" * depth
    if accepted:
        assert load_json_document(text) is not None
    else:
        with pytest.raises(InputError) as refused:
            load_json_document(text)
        assert refused.value.path == "$"
