"""The payer sandbox as a PAS payer: what it accepts, refuses, finds and remembers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tracker.payers import interpret_pas_response
from tracker.payers.inquiry import inquiry_for
from tracker.payers.sandbox import SandboxConfig, SandboxRulesError, create_app, load_rules

from .conftest import Payer
from .pas_requests import key_of, pas_request
from .sandbox_server import free_port, serving

FHIR = {"Content-Type": "application/fhir+json"}
REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("body", "said"), [
    (b"{not json", "not JSON"),
    (b"", "empty"),
    (b'{"resourceType": "Patient"}', "expected a PAS request Bundle, got Patient"),
    (json.dumps({"resourceType": "Bundle", "type": "collection", "entry": []}).encode(),
     "the Bundle needs an identifier"),
])
def test_malformed_bodies_get_a_400_operation_outcome(payer: Payer, body: bytes, said: str) -> None:
    response = payer.admin.post("/Claim/$submit", content=body, headers=FHIR)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/fhir+json")
    reading = interpret_pas_response(response.json())
    assert reading.status == "error"
    assert any(said in e.message for e in reading.errors)


def test_a_bundle_wrapped_in_parameters_is_accepted(payer: Payer) -> None:
    request = pas_request([("62323", 1)], evidence=("conservative-therapy",))
    response = payer.admin.post("/Claim/$submit", headers=FHIR, json={
        "resourceType": "Parameters", "parameter": [{"name": "resource", "resource": request}]})
    assert response.status_code == 200
    assert interpret_pas_response(response.json()).status == "approved"


def test_response_is_shaped_like_the_pas_examples(payer: Payer) -> None:
    request = pas_request([("62323", 1)], evidence=("conservative-therapy",))
    bundle = payer.admin.post("/Claim/$submit", headers=FHIR, json=request).json()
    assert bundle["meta"]["profile"] == [
        "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/profile-pas-response-bundle"]
    assert bundle["identifier"] == request["identifier"]
    claim_response = bundle["entry"][0]["resource"]
    assert claim_response["resourceType"] == "ClaimResponse"
    assert claim_response["outcome"] == "complete"
    assert claim_response["request"]["identifier"] == request["entry"][0]["resource"]["identifier"][0]
    assert {e["resource"]["resourceType"] for e in bundle["entry"][1:]} >= {"Patient", "Organization"}


def test_inquiry_by_patient_provider_and_service_finds_the_request(payer: Payer) -> None:
    request = pas_request([("64483", 1)], evidence=("conservative-therapy",))
    payer.admin.post("/Claim/$submit", headers=FHIR, json=request).raise_for_status()
    inquiry = inquiry_for(request)
    inquiry["identifier"]["value"] = "unrelated-transaction"
    del inquiry["entry"][0]["resource"]["identifier"]
    answer = payer.admin.post("/Claim/$inquire", headers=FHIR, json=inquiry).json()
    assert answer["resourceType"] == "Parameters"
    reading = interpret_pas_response(answer)
    assert reading.kind == "inquiry_response"
    assert reading.status == "approved"
    assert reading.bundle_identifier == request["identifier"]


def test_subscription_without_a_rest_hook_endpoint_is_refused(payer: Payer) -> None:
    response = payer.admin.post("/Subscription", json={"resourceType": "Subscription",
                                                       "channel": {"type": "email"}})
    assert response.status_code == 400
    messages = [i["details"]["text"] for i in response.json()["issue"]]
    assert "only rest-hook channels are supported" in messages


def test_an_unknown_fault_kind_is_refused(payer: Payer) -> None:
    response = payer.admin.post("/_admin/faults", json={"kind": "gremlins"})
    assert response.status_code == 422


def test_rules_naming_unknown_evidence_are_refused(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("lines:\n  - codes: ['64483']\n    requires: [horoscope]\n", encoding="utf-8")
    with pytest.raises(SandboxRulesError,
                       match=r"rules.yaml: lines.0.requires: .*unknown evidence horoscope"):
        load_rules(rules)


def test_a_restarted_sandbox_remembers_submissions_in_its_state_file(tmp_path: Path) -> None:
    state = tmp_path / "sandbox-state.json"
    request = pas_request([("62323", 1)], evidence=("conservative-therapy",))
    with serving(create_app(SandboxConfig(state_file=state))) as url:
        first = httpx.post(f"{url}/Claim/$submit", json=request, headers=FHIR).json()
    with serving(create_app(SandboxConfig(state_file=state))) as url:
        again = httpx.post(f"{url}/Claim/$submit", json=request, headers=FHIR).json()
        duplicates = httpx.get(f"{url}/_admin/duplicates").json()
    assert again == first
    assert duplicates["duplicates"][0]["bundle_identifier"] == key_of(request)


def test_painauth_sandbox_serves_on_the_port_asked_for(tmp_path: Path) -> None:
    port = free_port()
    rules = tmp_path / "rules.yaml"
    rules.write_text("lines:\n  - codes: ['62323']\n    decision: deny\n    reason: Not today\n",
                     encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "tracker.cli", "sandbox", "--port", str(port), "--rules", str(rules)],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        env={**os.environ, "PAINAUTH_HOME": str(tmp_path)})
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                response = httpx.post(f"http://127.0.0.1:{port}/Claim/$submit", headers=FHIR,
                                      json=pas_request([("62323", 1)]))
                break
            except httpx.ConnectError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.1)
        reading = interpret_pas_response(response.json())
        assert reading.status == "denied"
        assert reading.items[0].reasons[0].display == "Not today"
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)


def test_painauth_sandbox_reports_a_bad_rules_file_without_a_traceback(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("lines: [{decision: maybe}]\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "tracker.cli", "sandbox", "--rules", str(rules)],
                          cwd=REPO, capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "rules.yaml: lines.0.decision" in done.stderr
