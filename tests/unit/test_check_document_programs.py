"""The check document's 2026 fields: service_state, exemptions, provider_npi, medication
reduction, and payer ids in any case (check.md § Input)."""

import json

import pytest
from test_check_command import run_check

from tracker.errors import InputError
from tracker.visits.checking import check

WISER_VISIT = {
    "as_of": "2026-12-01", "payer": "medicare", "service_state": "TX",
    "conservative_care": [{"kind": "physical_therapy", "start": "2026-01-05", "end": "2026-03-16"}],
    "scheduled": {"date": "2026-12-10", "codes": ["64483"], "place_of_service": "11",
                  "provider_npi": "1234567893"},
}


def with_fields(**fields: object) -> dict:
    document = json.loads(json.dumps(WISER_VISIT))
    document.update(fields)
    return document


def codes(out: dict) -> set[str]:
    return {f["code"] for f in out["findings"]}


@pytest.mark.parametrize("payer", ["medicare", "Medicare", "MEDICARE"])
def test_payer_ids_match_without_regard_to_case(payer):
    out = check(with_fields(payer=payer))
    assert out["payer"] == "medicare"
    assert out["verdict"] == "needs_auth"


def test_a_lower_case_state_is_read_as_its_usps_code():
    assert check(with_fields(service_state="tx"))["prior_auth_required"]


def test_a_document_without_a_state_warns_that_wiser_may_apply():
    document = with_fields()
    del document["service_state"]
    out = check(document)
    assert "SERVICE_STATE_UNKNOWN" in codes(out)
    assert out["verdict"] == "ok"


def test_a_held_exemption_turns_needs_auth_into_ok_with_its_finding():
    out = check(with_fields(exemptions=[{"program": "medicare-wiser", "group": "esi",
                                         "provider_npi": "1234567893", "from": "2026-01-15",
                                         "to": "2027-01-14"}]))
    assert codes(out) == {"PRIOR_AUTH_EXEMPT"}
    assert out["verdict"] == "ok"


@pytest.mark.parametrize(("fields", "path"), [
    ({"service_state": "Texas"}, "service_state"),
    ({"exemptions": [{"program": "medicare-gold", "from": "2026-01-01", "to": "2026-12-31"}]},
     "exemptions[0].program"),
    ({"exemptions": [{"program": "medicare-wiser", "from": "2026-01-01"}]}, "exemptions[0].to"),
    ({"exemptions": [{"program": "medicare-wiser", "group": "epidurals", "from": "2026-01-01",
                      "to": "2026-12-31"}]}, "exemptions[0].group"),
    ({"exemptions": [{"program": "medicare-wiser", "from": "2026-12-31", "to": "2026-01-01"}]},
     "exemptions[0].to"),
    ({"exemptions": [{"program": "medicare-wiser", "provider_npi": "12345", "from": "2026-01-01",
                      "to": "2026-12-31"}]}, "exemptions[0].provider_npi"),
    ({"history": [{"date": "2026-11-01", "codes": ["63650"], "intent": "trial",
                   "outcome": {"medication_reduction_percent": 101}}]},
     "history[0].outcome.medication_reduction_percent"),
])
def test_bad_program_fields_are_rejected_naming_the_field(fields, path):
    with pytest.raises(InputError) as raised:
        check(with_fields(**fields))
    assert raised.value.path == path


def test_an_unknown_exemption_program_exits_2_through_the_command(tmp_path):
    run = run_check(with_fields(exemptions=[{"program": "nope", "from": "2026-01-01",
                                             "to": "2026-12-31"}]), tmp_path)
    assert run.returncode == 2
    assert json.loads(run.stdout)["error"]["path"] == "exemptions[0].program"
    assert "Traceback" not in run.stderr
