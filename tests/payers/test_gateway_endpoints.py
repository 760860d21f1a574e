"""Where payer endpoints come from: PAINAUTH_PAYER_<ID>_* variables and PAINAUTH_HOME/payers.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracker.payers.channels import open_gateway
from tracker.payers.endpoints import load_payer_endpoints, payer_endpoint
from tracker.payers.errors import GatewayNotConfigured
from tracker.payers.manual_gateway import ManualGateway
from tracker.payers.pas_gateway import PasGateway


def test_environment_variables_configure_a_payer(tmp_path: Path) -> None:
    environ = {"PAINAUTH_PAYER_BLUE_CROSS_URL": "https://payer.example.org/fhir",
               "PAINAUTH_PAYER_BLUE_CROSS_AUTH": "client_credentials",
               "PAINAUTH_PAYER_BLUE_CROSS_TOKEN_URL": "https://payer.example.org/token",
               "PAINAUTH_PAYER_BLUE_CROSS_CLIENT_ID": "practice",
               "PAINAUTH_PAYER_BLUE_CROSS_CLIENT_SECRET": "synthetic",
               "PAINAUTH_PAYER_BLUE_CROSS_READ_TIMEOUT": "12.5",
               "PAINAUTH_HOME": "ignored"}
    endpoint = payer_endpoint("blue-cross", home=tmp_path, environ=environ)
    assert endpoint.base_url == "https://payer.example.org/fhir"
    assert endpoint.token_url == "https://payer.example.org/token"
    assert endpoint.client_secret is not None and endpoint.client_secret.get_secret_value() == "synthetic"
    assert endpoint.read_timeout == 12.5


def test_the_file_gives_settings_and_the_environment_the_secrets(tmp_path: Path) -> None:
    (tmp_path / "payers.yaml").write_text(
        "payers:\n  aetna:\n    url: https://aetna.example.org/fhir\n    auth: bearer\n"
        "    max_concurrent: 8\n  cigna:\n    channel: manual\n", encoding="utf-8")
    endpoints = load_payer_endpoints(tmp_path, {"PAINAUTH_PAYER_AETNA_TOKEN": "synthetic-token"})
    assert endpoints["aetna"].max_concurrent == 8
    assert endpoints["aetna"].token is not None
    assert endpoints["cigna"].channel == "manual"


def test_a_secret_in_the_file_is_refused_naming_the_variable_to_use(tmp_path: Path) -> None:
    (tmp_path / "payers.yaml").write_text(
        "payers:\n  aetna:\n    url: https://aetna.example.org/fhir\n    client_secret: oops\n",
        encoding="utf-8")
    with pytest.raises(GatewayNotConfigured, match="PAINAUTH_PAYER_AETNA_CLIENT_SECRET"):
        load_payer_endpoints(tmp_path, {})


@pytest.mark.parametrize(("environ", "missing"), [
    ({}, "PAINAUTH_PAYER_AETNA_URL"),
    ({"PAINAUTH_PAYER_AETNA_URL": "https://a.example.org", "PAINAUTH_PAYER_AETNA_AUTH": "bearer"},
     "PAINAUTH_PAYER_AETNA_TOKEN"),
    ({"PAINAUTH_PAYER_AETNA_URL": "https://a.example.org",
      "PAINAUTH_PAYER_AETNA_AUTH": "client_credentials",
      "PAINAUTH_PAYER_AETNA_TOKEN_URL": "https://a.example.org/token"},
     "PAINAUTH_PAYER_AETNA_CLIENT_ID"),
    ({"PAINAUTH_PAYER_AETNA_URL": "ftp://a.example.org"}, "PAINAUTH_PAYER_AETNA_URL"),
])
def test_missing_settings_name_the_variable_to_set(tmp_path: Path, environ: dict[str, str],
                                                   missing: str) -> None:
    with pytest.raises(GatewayNotConfigured, match=missing):
        payer_endpoint("aetna", home=tmp_path, environ=environ)


def test_a_bad_value_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(GatewayNotConfigured, match="max_concurrent"):
        load_payer_endpoints(tmp_path, {"PAINAUTH_PAYER_AETNA_MAX_CONCURRENT": "many"})


def test_open_gateway_picks_the_channel(tmp_path: Path) -> None:
    environ = {"PAINAUTH_PAYER_AETNA_URL": "https://aetna.example.org/fhir",
               "PAINAUTH_PAYER_CIGNA_CHANNEL": "manual"}
    with_http = open_gateway(payer_endpoint("aetna", home=tmp_path, environ=environ))
    assert isinstance(with_http, PasGateway)
    with_http.close()
    by_hand = open_gateway(payer_endpoint("cigna", home=tmp_path, environ=environ),
                           packet_writer=lambda bundle: tmp_path / "packet.pdf")
    assert isinstance(by_hand, ManualGateway)
