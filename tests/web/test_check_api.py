"""`POST /api/check` keeps the `painauth check` contract: same result, same error shape."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tracker.errors import InputError
from tracker.visits.checking import check

from .conftest import ROOT, TODAY, sign_in

EXAMPLES = ROOT / "samples" / "checks"
VALID = sorted(p for p in EXAMPLES.glob("*.input.json") if not p.name.startswith("invalid"))


@pytest.mark.parametrize("example", VALID, ids=lambda p: p.name.removesuffix(".input.json"))
def test_the_api_answers_what_painauth_check_answers(sqlite_client: TestClient,
                                                     example: Path) -> None:
    document = json.loads(example.read_text())
    expected = json.loads(example.with_name(example.name.replace(".input", ".expected")).read_text())
    sign_in(sqlite_client, "scheduler")
    response = sqlite_client.post("/api/check", json=document)
    assert response.status_code == 200
    assert response.json() == check(document, TODAY)
    assert response.json()["verdict"] == expected["verdict"]


def test_invalid_input_is_a_400_naming_the_field(sqlite_client: TestClient) -> None:
    document = json.loads((EXAMPLES / "invalid-scheduled-before-as-of.input.json").read_text())
    with pytest.raises(InputError) as raised:
        check(document, TODAY)
    sign_in(sqlite_client, "scheduler")
    response = sqlite_client.post("/api/check", json=document)
    assert response.status_code == 400
    assert response.json() == {"error": {"message": raised.value.message,
                                         "path": raised.value.path}}
    assert response.json()["error"]["path"] == "scheduled.date"


def test_malformed_json_is_a_400_at_the_root(sqlite_client: TestClient) -> None:
    sign_in(sqlite_client, "scheduler")
    response = sqlite_client.post("/api/check", content=b'{"as_of": ',
                                  headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["path"] == "$"
    assert "malformed JSON" in response.json()["error"]["message"]


def test_an_unknown_payer_names_the_payer_field(sqlite_client: TestClient) -> None:
    sign_in(sqlite_client, "scheduler")
    response = sqlite_client.post("/api/check", json={
        "as_of": "2026-12-01", "payer": "nobody", "scheduled": {"date": "2026-12-14",
                                                                "codes": ["62323"]}})
    assert response.status_code == 400
    assert response.json()["error"]["path"] == "payer"
