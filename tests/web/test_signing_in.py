"""Only signed-in users see the board; a wrong password or a forged form gets nowhere."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from .conftest import USERS, Practice, form_token, sign_in

PAGES = ["/", "/visits", "/visits?status=blocked", "/visits.csv", "/patients/1", "/users"]
API = ["/api/visits", "/api/visits?status=blocked"]


def test_the_right_password_signs_in_and_opens_the_board(client: TestClient) -> None:
    response = client.post("/login", data={"name": USERS["scheduler"],
                                           "password": "synthetic-password-1",
                                           "token": form_token(client)})
    assert response.status_code == 303
    assert response.headers["location"] == "/visits"
    board = client.get("/visits")
    assert board.status_code == 200
    assert "Signed in as <strong>sam.scheduler</strong>" in board.text
    set_cookie = response.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=lax" in set_cookie


@pytest.mark.parametrize("name", [USERS["scheduler"], "nobody.here"])
def test_a_wrong_password_or_unknown_name_is_refused(client: TestClient, name: str) -> None:
    response = client.post("/login", data={"name": name, "password": "not-the-password",
                                           "token": form_token(client)})
    assert response.status_code == 401
    assert "do not match an active account" in response.text
    assert client.get("/visits").status_code == 303


@pytest.mark.parametrize("page", PAGES)
def test_every_page_sends_a_signed_out_visitor_to_login(client: TestClient, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


@pytest.mark.parametrize("route", API)
def test_every_api_route_answers_401_when_signed_out(client: TestClient, route: str) -> None:
    response = client.get(route)
    assert response.status_code == 401
    assert response.json()["error"]["message"].startswith("sign in first")


def test_check_api_answers_401_when_signed_out(client: TestClient) -> None:
    assert client.post("/api/check", json={}).status_code == 401


@pytest.mark.parametrize("route", ["/authorizations/1/status", "/users", "/users/1", "/logout"])
def test_every_form_refuses_a_signed_out_visitor(client: TestClient, route: str) -> None:
    response = client.post(route, data={"status": "approved", "reason": "x", "token": "t",
                                        "name": "mallory", "role": "admin",
                                        "password": "0123456789"})
    assert response.status_code == 303
    assert response.headers["location"] == "/login"


def test_health_needs_no_session(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_signing_out_ends_the_session(scheduler: TestClient) -> None:
    token = form_token(scheduler, "/visits")
    response = scheduler.post("/logout", data={"token": token})
    assert (response.status_code, response.headers["location"]) == (303, "/login")
    assert scheduler.get("/visits").status_code == 303
    assert scheduler.get("/api/visits").status_code == 401


def test_a_form_without_the_session_token_is_refused(client: TestClient) -> None:
    form_token(client)
    response = client.post("/login", data={"name": USERS["admin"],
                                           "password": "synthetic-password-1",
                                           "token": "forged"})
    assert response.status_code == 403
    assert client.get("/visits").status_code == 303


def test_login_only_returns_to_a_page_of_this_site(client: TestClient) -> None:
    response = client.post("/login", data={"name": USERS["scheduler"],
                                           "password": "synthetic-password-1",
                                           "token": form_token(client),
                                           "next": "//elsewhere.example/steal"})
    assert response.headers["location"] == "/visits"


def test_a_signed_out_visitor_returns_to_the_page_asked_for(client: TestClient,
                                                            practice: Practice) -> None:
    patient = practice.patient_id("SYN-9001")
    assert client.get(f"/patients/{patient}").headers["location"] == f"/login?next=/patients/{patient}"
    response = client.post("/login", data={"name": USERS["scheduler"],
                                           "password": "synthetic-password-1",
                                           "token": form_token(client), "next": f"/patients/{patient}"})
    assert response.headers["location"] == f"/patients/{patient}"


def test_api_accepts_the_board_session_cookie(client: TestClient) -> None:
    sign_in(client, "billing")
    assert client.get("/api/visits").status_code == 200


def test_no_interactive_docs_are_served_without_a_session(client: TestClient) -> None:
    for route in ("/docs", "/redoc", "/openapi.json"):
        assert client.get(route).status_code == 404
