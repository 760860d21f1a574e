"""Authenticating to the payer: OAuth 2.0 client credentials against the sandbox's token
endpoint (cached, renewed once on 401) and a fixed bearer token. Synthetic credentials only."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from tracker.payers.errors import AuthenticationFailed, NotSent
from tracker.payers.pas_gateway import PasGateway
from tracker.payers.sandbox import SandboxConfig, create_app

from .conftest import Payer, endpoint_for
from .pas_requests import pas_request
from .sandbox_server import serving

CLIENT_ID = "painauth-test"
CLIENT_SECRET = "synthetic-client-secret"
STATIC_TOKEN = "synthetic-static-token"


@pytest.fixture(scope="module")
def guarded() -> Iterator[Payer]:
    config = SandboxConfig(require_auth=True, clients={CLIENT_ID: CLIENT_SECRET},
                           bearer_tokens=(STATIC_TOKEN,))
    with serving(create_app(config)) as url, httpx.Client(base_url=url, timeout=5) as admin:
        yield Payer(url=url, admin=admin)


def oauth_gateway(payer: Payer, secret: str = CLIENT_SECRET) -> PasGateway:
    return PasGateway(endpoint_for(payer.url, auth="client_credentials",
                                   token_url=f"{payer.url}/oauth/token", client_id=CLIENT_ID,
                                   client_secret=SecretStr(secret)))


def request() -> dict[str, Any]:
    return pas_request([("62323", 1)], evidence=("conservative-therapy",))


def test_client_credentials_token_is_fetched_once_and_reused(guarded: Payer) -> None:
    guarded.post("/_admin/reset")
    with oauth_gateway(guarded) as gateway:
        assert gateway.submit(request()).decision == "approved"
        assert gateway.submit(request()).decision == "approved"
    assert guarded.get("/_admin/tokens")["issued"] == 1


def test_a_revoked_token_is_renewed_once_and_the_request_goes_through(guarded: Payer) -> None:
    guarded.post("/_admin/reset")
    with oauth_gateway(guarded) as gateway:
        gateway.submit(request())
        guarded.post("/_admin/expire_tokens")
        reply = gateway.submit(request())
    assert reply.decision == "approved"
    assert reply.attempts == 1
    assert guarded.get("/_admin/tokens")["issued"] == 2
    outcomes = [r["outcome"] for r in guarded.received()]
    assert outcomes == ["adjudicated", "unauthorized", "adjudicated"]


def test_wrong_client_secret_is_an_authentication_failure_and_nothing_is_sent(
        guarded: Payer, caplog: pytest.LogCaptureFixture) -> None:
    guarded.post("/_admin/reset")
    caplog.set_level(logging.DEBUG)
    with oauth_gateway(guarded, secret="not-the-secret") as gateway, \
            pytest.raises(AuthenticationFailed, match="invalid_client") as raised:
        gateway.submit(request())
    assert isinstance(raised.value, NotSent)
    assert guarded.received() == []
    assert "not-the-secret" not in caplog.text and "not-the-secret" not in str(raised.value)


def test_fixed_bearer_token_is_sent(guarded: Payer) -> None:
    guarded.post("/_admin/reset")
    endpoint = endpoint_for(guarded.url, auth="bearer", token=SecretStr(STATIC_TOKEN))
    with PasGateway(endpoint) as gateway:
        assert gateway.submit(request()).decision == "approved"


def test_wrong_bearer_token_fails_without_retrying(guarded: Payer) -> None:
    guarded.post("/_admin/reset")
    endpoint = endpoint_for(guarded.url, auth="bearer", token=SecretStr("wrong-token"))
    with PasGateway(endpoint) as gateway, pytest.raises(AuthenticationFailed, match="401"):
        gateway.submit(request())
    assert [r["outcome"] for r in guarded.received()] == ["unauthorized"]


def test_no_token_at_all_is_refused(guarded: Payer) -> None:
    with PasGateway(endpoint_for(guarded.url)) as gateway, pytest.raises(AuthenticationFailed):
        gateway.submit(request())


def test_secrets_never_show_in_the_endpoint_or_gateway(guarded: Payer) -> None:
    endpoint = endpoint_for(guarded.url, auth="client_credentials", token_url=f"{guarded.url}/oauth/token",
                            client_id=CLIENT_ID, client_secret=SecretStr(CLIENT_SECRET))
    assert CLIENT_SECRET not in repr(endpoint) and CLIENT_SECRET not in str(endpoint)
    with PasGateway(endpoint) as gateway:
        assert CLIENT_SECRET not in repr(vars(gateway))
