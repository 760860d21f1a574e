"""`POST /payer-notifications/{payer}`: each payer's own token, compared without crashing on any
header; only configured payers; only PAS notifications; a redelivery stored once."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select
from sqlmodel import Session as DbSession

from tracker.store.tables import PayerNotificationRow
from tracker.web.app import create_app

from .conftest import SECRET, TODAY, Practice

FIXTURES = Path(__file__).resolve().parents[1] / "payers" / "fixtures"
NOTIFICATION: dict[str, Any] = json.loads(
    (FIXTURES / "Bundle-PASSubscriptionNotification.json").read_text(encoding="utf-8"))


@pytest.fixture
def payer_board(practice: Practice, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("PAINAUTH_NOTIFICATION_TOKEN", "shared-token")
    monkeypatch.setenv("PAINAUTH_PAYER_AETNA_NOTIFICATION_TOKEN", "aetna-token")
    with TestClient(create_app(practice.engine, SECRET, today=lambda: TODAY)) as board:
        yield board
    with DbSession(practice.engine) as db:
        db.execute(delete(PayerNotificationRow))
        db.commit()


def _stored(practice: Practice) -> int:
    with DbSession(practice.engine) as db:
        return int(db.execute(select(func.count()).select_from(PayerNotificationRow)).scalar_one())


def _post(board: TestClient, payer: str, body: Any, token: str | bytes) -> Any:
    raw = token if isinstance(token, bytes) else f"Bearer {token}".encode()
    return board.post(f"/payer-notifications/{payer}", content=json.dumps(body).encode(),
                      headers={"Authorization": raw,  # type: ignore[dict-item]
                               "Content-Type": "application/fhir+json"})


def test_each_payer_has_its_own_token_and_the_shared_one_is_the_fallback(
        payer_board: TestClient, practice: Practice) -> None:
    assert _post(payer_board, "aetna", NOTIFICATION, "aetna-token").status_code == 202
    assert _post(payer_board, "aetna", NOTIFICATION | {"id": "other"},
                 "shared-token").status_code == 401  # aetna has a token of its own
    assert _post(payer_board, "cigna", NOTIFICATION, "aetna-token").status_code == 401
    assert _post(payer_board, "cigna", NOTIFICATION, "shared-token").status_code == 202
    assert _stored(practice) == 2


@pytest.mark.parametrize("header", [b"Bearer \xff\xfe", b"\xff\xfe", b"Bearer ", b""])
def test_an_odd_authorization_header_is_refused_not_a_crash(payer_board: TestClient,
                                                            practice: Practice,
                                                            header: bytes) -> None:
    response = _post(payer_board, "aetna", NOTIFICATION, header)
    assert response.status_code == 401
    assert "PAINAUTH_PAYER_AETNA_NOTIFICATION_TOKEN" in response.json()["error"]["message"]
    assert _stored(practice) == 0


@pytest.mark.parametrize("payer", ["nosuchpayer", "a" * 5000, "Aetna", "aetna;drop"])
def test_a_payer_that_is_not_configured_is_refused(payer_board: TestClient, practice: Practice,
                                                   payer: str) -> None:
    response = _post(payer_board, payer, NOTIFICATION, "shared-token")
    assert response.status_code == 404
    assert response.json()["error"]["path"] == "payer"
    assert _stored(practice) == 0


@pytest.mark.parametrize("body", [{"hello": "world"}, {"resourceType": "Patient"},
                                  {"resourceType": "Bundle", "type": "collection", "entry": []},
                                  [1, 2, 3], "text"])
def test_a_body_that_is_not_a_pas_notification_is_refused(payer_board: TestClient,
                                                          practice: Practice, body: Any) -> None:
    response = _post(payer_board, "aetna", body, "aetna-token")
    assert response.status_code == 400
    assert response.json()["error"]["path"] == "$"
    assert _stored(practice) == 0


def test_a_deeply_nested_body_is_refused_as_input(payer_board: TestClient) -> None:
    deep = b"[" * 5000 + b"]" * 5000
    response = payer_board.post("/payer-notifications/aetna", content=deep,
                                headers={"Authorization": "Bearer aetna-token"})
    assert response.status_code == 400
    assert "nested deeper than 64" in response.json()["error"]["message"]


def test_redelivered_notifications_are_stored_once(payer_board: TestClient,
                                                   practice: Practice) -> None:
    distinct = []
    for number in range(45):
        body = copy.deepcopy(NOTIFICATION)
        body["id"] = f"notification-{number}"
        distinct.append(body)
    answers = [_post(payer_board, "aetna", distinct[i % 45], "aetna-token").status_code
               for i in range(50)]
    assert answers.count(202) == 45 and answers.count(200) == 5
    # without an id, the very same body is the same notification
    anonymous = {k: v for k, v in NOTIFICATION.items() if k != "id"}
    assert _post(payer_board, "aetna", anonymous, "aetna-token").status_code == 202
    assert _post(payer_board, "aetna", anonymous, "aetna-token").status_code == 200
    assert _stored(practice) == 46
