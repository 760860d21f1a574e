"""Reading payer PAS responses: every example response of the PAS 2.2.1 package, the older shapes
payers still send, OperationOutcome errors, and what happens with input that is not a response."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.payers import PasResponse, UnreadablePayerResponse, interpret_pas_response
from tracker.payers import read_pas_response as read

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "fixtures" / "davinci-pas-2.2.1" / "example"
PAINAUTH = REPO / ".venv" / "bin" / "painauth"
PAS = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/"
X12_306 = "https://codesystem.x12.org/005010/306"


def fixture(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return document


def read_fixture(name: str) -> dict[str, Any]:
    return read((FIXTURES / name).read_bytes()).as_json()


def only_item(result: dict[str, Any]) -> dict[str, Any]:
    assert len(result["items"]) == 1
    item: dict[str, Any] = result["items"][0]
    return item


# -- the package's examples ---------------------------------------------------------------------

APPROVED_REFERRAL = ["ClaimResponse-PractitionerRequestorResponseExample.json",
                     "Bundle-ReferralAuthorizationResponseBundleExample.json"]


@pytest.mark.parametrize("name", APPROVED_REFERRAL)
def test_approved_referral_has_auth_number_validity_and_one_unit(name: str) -> None:
    result = read_fixture(name)
    assert result["status"] == "approved"
    assert result["awaiting_decision"] is False
    item = only_item(result)
    assert item["sequence"] == 1
    assert item["decision"] == "approved"
    assert item["review_action"]["code"] == "A1"
    assert item["auth_number"] == "AUTH0001"
    assert item["period"] == {"start": "2005-05-02", "end": "2005-06-02"}
    assert item["quantity"] == 1
    assert item["authorized_service"] == "3"
    assert item["issued"] == "2005-05-02"
    assert item["requested_period"] == {"start": "2005-05-02", "end": "2005-06-02"}
    assert item["reasons"] == []
    assert result["response"]["outcome"] == "complete"
    assert result["response"]["identifier"] == [
        {"system": "http://example.org/PATIENT_EVENT_TRACE_NUMBER", "value": "111099"}]
    assert result["request"]["reference"] == "Claim/ReferralAuthorizationExample"
    assert result["errors"] == [] and result["warnings"] == []


def test_response_bundle_echoes_the_submitted_bundle_identifier() -> None:
    result = read_fixture("Bundle-ReferralAuthorizationResponseBundleExample.json")
    assert result["response"]["bundle_identifier"] == {
        "system": "http://example.org/SUBMITTER_TRANSACTION_IDENTIFIER", "value": "A12345"}
    assert result["kind"] == "claim_response"


@pytest.mark.parametrize("name", ["ClaimResponse-PractitionerRequestorPendingResponseExample.json",
                                  "Bundle-ReferralPendingAuthorizationResponseBundleExample.json"])
def test_pend_signalled_only_on_the_item_is_pended_although_outcome_is_complete(name: str) -> None:
    result = read_fixture(name)
    assert result["response"]["outcome"] == "complete"
    assert result["status"] == "pended"
    assert result["awaiting_decision"] is True
    item = only_item(result)
    assert (item["sequence"], item["decision"], item["review_action"]["code"]) == (1, "pended", "A4")
    assert item["auth_number"] is None
    assert item["period"] == {"start": None, "end": None}
    assert item["quantity"] is None
    assert item["administration_reference"] == "PEND0001"
    assert "outcome is 'complete' but item(s) 1 are pended (A4)" in result["warnings"][0]


@pytest.mark.parametrize("name", ["ClaimResponse-RejectionResponseExample.json",
                                  "Bundle-RejectionResponseBundleExample.json"])
def test_rejection_example_is_denied_without_auth_number(name: str) -> None:
    result = read_fixture(name)
    assert result["status"] == "denied"
    item = only_item(result)
    assert (item["sequence"], item["decision"], item["review_action"]["code"]) == (1, "denied", "A3")
    assert item["auth_number"] is None
    assert item["period"] == {"start": None, "end": None}
    assert item["quantity"] is None
    assert item["reasons"] == []  # the example gives no reason code


def test_rejection_bundle_resolves_the_request_claim_identifier() -> None:
    result = read_fixture("Bundle-RejectionResponseBundleExample.json")
    assert result["request"]["identifier"] == [{"system": "urn:trnorg:9012345678", "value": "111099"}]


@pytest.mark.parametrize("name", ["ClaimResponse-ErrorResponseExample.json",
                                  "Bundle-ErrorResponseBundleExample.json"])
def test_error_example_reports_both_x12_rejections(name: str) -> None:
    result = read_fixture(name)
    assert result["status"] == "error"
    assert result["items"] == []
    assert result["awaiting_decision"] is False
    first, second = result["errors"]
    assert (first["code"], first["display"]) == ("04", "Authorized quantity exceeded")
    assert (second["code"], second["display"]) == ("T4", "Payer name or identifier missing")
    assert second["x12_element"] == "2010A-NM103"
    assert second["expression"] == ["Bundle.entry[1].Organization.name"]
    assert second["follow_up_action"] == "C"
    assert "Bundle.entry[1].Organization.name" in second["message"]
    assert "correct and resubmit" in second["message"]


def test_error_bundle_does_not_mistake_the_echoed_claims_number_for_an_authorization() -> None:
    # the Claim echoed in the bundle carries authorizationNumber 1122445 on its item
    result = read_fixture("Bundle-ErrorResponseBundleExample.json")
    assert "1122445" not in json.dumps(result)


def test_additional_content_example_reads_the_payer_added_line_too() -> None:
    result = read_fixture("ClaimResponse-PractitionerRequestorAdditionalContentResponseExample.json")
    assert result["status"] == "approved"
    line, added = result["items"]
    assert (line["sequence"], line["decision"], line["auth_number"]) == (1, "approved", "AUTH0001")
    assert line["period"] == {"start": "2005-05-02", "end": "2005-06-02"}
    assert line["quantity"] == 1 and line["added_by_payer"] is False
    assert (added["sequence"], added["decision"], added["auth_number"]) == (2, "approved", "AUTH0001")
    assert added["added_by_payer"] is True
    assert added["quantity"] == 1
    assert added["authorized_service"] == "3"
    assert added["period"] == {"start": None, "end": None}  # the addItem carries no preAuthPeriod


@pytest.mark.parametrize("name", ["ClaimResponse-PASClaimInquiryResponseExample.json",
                                  "Bundle-PASClaimInquiryResponseBundleExample.json",
                                  "Parameters-PASClaimInquiryOperationResponseExample.json"])
def test_inquiry_response_is_approved_and_keeps_requested_dates_apart(name: str) -> None:
    result = read_fixture(name)
    assert result["kind"] == "inquiry_response"
    assert result["status"] == "approved"
    item = only_item(result)
    assert (item["sequence"], item["decision"], item["auth_number"]) == (1, "approved", "AUTH0001")
    # only the requested service dates are given, not an authorized period or quantity
    assert item["period"] == {"start": None, "end": None}
    assert item["requested_period"] == {"start": "2005-05-02", "end": "2005-06-02"}
    assert item["quantity"] is None


def test_inquiry_parameters_keep_the_inner_bundle_identifier_and_request() -> None:
    result = read_fixture("Parameters-PASClaimInquiryOperationResponseExample.json")
    assert result["response"]["bundle_identifier"]["value"] == "5269367"
    assert result["request"]["identifier"] == [{"system": "urn:trnorg:9012345678", "value": "111099"}]


def test_notification_bundle_points_to_its_focus_and_reads_the_included_response() -> None:
    result = read_fixture("Bundle-PASSubscriptionNotification.json")
    assert result["kind"] == "notification"
    assert result["notification"] == {
        "subscription": "Subscription/PASSubscriptionExample",
        "topic": "http://hl7.org/fhir/us/davinci-pas/SubscriptionTopic/PASSubscriptionTopic",
        "type": "event-notification", "event_number": "2",
        "timestamp": "2020-05-29T11:44:33.188-05:00",
        "focus": "http://example.org/Bundle/ReferralAuthorizationResponseBundleExample"}
    assert result["status"] == "approved"
    item = only_item(result)
    assert (item["decision"], item["auth_number"], item["quantity"]) == ("approved", "AUTH0001", 1)
    assert item["period"] == {"start": "2005-05-02", "end": "2005-06-02"}


def test_notification_parameters_alone_say_where_to_fetch_the_decision() -> None:
    result = read_fixture("Parameters-SubscriptionNotificationParameters.json")
    assert result["kind"] == "notification"
    assert result["status"] == "notification"
    assert result["items"] == []
    assert result["awaiting_decision"] is None
    focus = "http://example.org/Bundle/ReferralAuthorizationResponseBundleExample"
    assert result["notification"]["focus"] == focus
    assert focus in result["warnings"][0]


def test_operation_outcome_example_is_an_error_with_its_issue() -> None:
    result = read_fixture("OperationOutcome-InvalidRequestResponse.json")
    assert result["status"] == "error"
    assert result["kind"] == "operation_outcome"
    (issue,) = result["errors"]
    assert (issue["severity"], issue["code"]) == ("error", "invalid")
    assert issue["display"] == "The input request is not of the desired format."
    assert issue["message"] == "error: invalid — The input request is not of the desired format."


def test_every_copied_response_example_reads_to_a_known_status() -> None:
    for path in sorted(FIXTURES.glob("*.json")):
        result = read(path.read_bytes())
        assert result.status in {"approved", "pended", "denied", "error", "notification"}, path.name


def test_copied_fixtures_equal_the_shared_originals() -> None:
    if not SHARED.is_dir():
        pytest.skip(f"the shared PAS fixtures are not at {SHARED}")
    copies = sorted(FIXTURES.glob("*.json"))
    assert len(copies) == 15
    for copy_path in copies:
        assert copy_path.read_bytes() == (SHARED / copy_path.name).read_bytes(), copy_path.name


def test_every_response_example_in_the_shared_folder_is_copied() -> None:
    if not SHARED.is_dir():
        pytest.skip(f"the shared PAS fixtures are not at {SHARED}")
    responses = {p.name for p in SHARED.glob("*.json")
                 if p.name.startswith(("ClaimResponse-", "OperationOutcome-", "Parameters-"))
                 or (p.name.startswith("Bundle-") and ("Response" in p.name or "Notification" in p.name))}
    assert responses == {p.name for p in FIXTURES.glob("*.json")}


# -- synthetic variants -------------------------------------------------------------------------

def review_action(code: str, number: str | None = None, reasons: tuple[str, ...] = ()) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [{"url": PAS + "extension-reviewActionCode",
                                    "valueCodeableConcept": {"coding": [{"system": X12_306,
                                                                         "code": code}]}}]
    if number:
        parts.insert(0, {"url": "number", "valueString": number})
    parts += [{"url": "reasonCode", "valueCodeableConcept": {"coding": [
        {"system": "https://codesystem.x12.org/external/886", "code": r}]}} for r in reasons]
    return {"url": PAS + "extension-reviewAction", "extension": parts}


def line(sequence: int, action: dict[str, Any], *, period: tuple[str, str] | None = None,
         quantity: float | None = None) -> dict[str, Any]:
    extensions: list[dict[str, Any]] = []
    if period:
        extensions.append({"url": PAS + "extension-itemPreAuthPeriod",
                           "valuePeriod": {"start": period[0], "end": period[1]}})
    if quantity is not None:
        extensions.append({"url": PAS + "extension-itemAuthorizedDetail", "extension": [
            {"url": "quantity", "valueQuantity": {"value": quantity}}]})
    return {"extension": extensions, "itemSequence": sequence, "adjudication": [
        {"extension": [action], "category": {"coding": [
            {"system": "http://terminology.hl7.org/CodeSystem/adjudication", "code": "submitted"}]}}]}


def claim_response(*items: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"resourceType": "ClaimResponse", "id": "synthetic", "status": "active",
            "use": "preauthorization", "outcome": "complete",
            "request": {"reference": "Claim/synthetic"}, "item": list(items), **fields}


def interpret(resource: dict[str, Any]) -> dict[str, Any]:
    return interpret_pas_response(resource).as_json()


def test_two_levels_of_facet_injection_certified_in_part() -> None:
    result = interpret(claim_response(
        line(1, review_action("A1", "AUTH-77"), period=("2025-03-01", "2025-05-30"), quantity=1),
        line(2, review_action("A3", reasons=("0U",)))))
    assert result["status"] == "partial"
    first, second = result["items"]
    assert (first["decision"], first["auth_number"], first["quantity"]) == ("approved", "AUTH-77", 1)
    assert first["period"] == {"start": "2025-03-01", "end": "2025-05-30"}
    assert (second["decision"], second["auth_number"]) == ("denied", None)
    assert [r["code"] for r in second["reasons"]] == ["0U"]


def test_a2_certified_partial_with_fewer_units_than_asked() -> None:
    result = interpret(claim_response(
        line(1, review_action("A2", "AUTH-12"), period=("2025-01-06", "2025-04-05"), quantity=2)))
    assert result["status"] == "partial"
    item = only_item(result)
    assert (item["decision"], item["auth_number"], item["quantity"]) == ("partial", "AUTH-12", 2)
    assert item["review_action"]["display"] == "Certified - partial"


def test_denied_with_reason_codes_and_disposition() -> None:
    result = interpret(claim_response(
        line(1, review_action("A3", reasons=("0U", "ZZ"))),
        line(2, review_action("A3", reasons=("0U",))),
        disposition="Conservative therapy not documented"))
    assert result["status"] == "denied"
    assert [[r["code"] for r in i["reasons"]] for i in result["items"]] == [["0U", "ZZ"], ["0U"]]
    assert result["response"]["disposition"] == "Conservative therapy not documented"
    assert result["awaiting_decision"] is False


def test_adjudication_reason_is_read_alongside_the_review_action_reason() -> None:
    item = line(1, review_action("A3", reasons=("0U",)))
    item["adjudication"][0]["reason"] = {"text": "no imaging in the last 12 months"}
    result = interpret(claim_response(item))
    assert [r["display"] for r in only_item(result)["reasons"]] == [
        None, "no imaging in the last 12 months"]


def test_a6_modified_with_a_different_period() -> None:
    result = interpret(claim_response(
        line(1, review_action("A6", "AUTH-9"), period=("2025-02-01", "2025-02-28"), quantity=1)))
    assert result["status"] == "modified"
    item = only_item(result)
    assert (item["decision"], item["auth_number"]) == ("modified", "AUTH-9")
    assert item["period"] == {"start": "2025-02-01", "end": "2025-02-28"}


def test_approved_and_modified_lines_roll_up_to_modified() -> None:
    result = interpret(claim_response(line(1, review_action("A1", "X")),
                                      line(2, review_action("A6", "X"))))
    assert result["status"] == "modified"


def test_ct_contact_payer() -> None:
    result = interpret(claim_response(line(1, review_action("CT"))))
    assert result["status"] == "contact_payer"
    assert only_item(result)["review_action"]["display"] == "Contact payer"


def test_contact_payer_wins_over_a_denial_when_nothing_is_granted() -> None:
    result = interpret(claim_response(line(1, review_action("CT")), line(2, review_action("A3"))))
    assert result["status"] == "contact_payer"


def test_approved_and_pended_lines_are_partial_but_still_awaiting_a_decision() -> None:
    result = interpret(claim_response(line(1, review_action("A1", "A-1")), line(2, review_action("A4"))))
    assert result["status"] == "partial"
    assert result["awaiting_decision"] is True


def test_denied_and_pended_lines_stay_pended() -> None:
    result = interpret(claim_response(line(1, review_action("A3")), line(2, review_action("A4"))))
    assert result["status"] == "pended"
    assert result["awaiting_decision"] is True


def test_cancelled_lines_do_not_count_unless_all_are_cancelled() -> None:
    assert interpret(claim_response(line(1, review_action("C")), line(2, review_action("A1"))))[
        "status"] == "approved"
    assert interpret(claim_response(line(1, review_action("C"))))["status"] == "cancelled"


def test_no_action_required_means_no_authorization_is_needed() -> None:
    assert interpret(claim_response(line(1, review_action("NA"))))["status"] == "no_action_required"


def test_older_shape_review_action_code_at_the_top_of_the_adjudication() -> None:
    legacy = {"itemSequence": 1, "adjudication": [{
        "extension": [{"url": PAS + "extension-reviewActionCode",
                       "valueCodeableConcept": {"coding": [{"system": X12_306, "code": "A1"}]}}],
        "category": {"coding": [{"code": "submitted"}]}}]}
    result = interpret(claim_response(legacy, preAuthRef="LEGACY-42",
                                      preAuthPeriod={"start": "2024-10-01", "end": "2024-12-31"}))
    assert result["status"] == "approved"
    item = only_item(result)
    assert item["review_action"]["found_at"] == "item.adjudication.extension[reviewActionCode]"
    # 1.x payers give the number and the validity on the header only
    assert item["auth_number"] == "LEGACY-42"
    assert item["period"] == {"start": "2024-10-01", "end": "2024-12-31"}
    assert result["response"]["pre_auth_ref"] == "LEGACY-42"


def test_older_shape_review_action_on_the_item_with_hrex_urls() -> None:
    hrex = "http://hl7.org/fhir/us/davinci-hrex/StructureDefinition/"
    item = {"itemSequence": 3, "extension": [{"url": hrex + "extension-reviewAction", "extension": [
        {"url": "number", "valueString": "H-3"},
        {"url": hrex + "extension-reviewActionCode",
         "valueCodeableConcept": {"coding": [{"system": X12_306, "code": "a3"}]}}]}]}
    result = interpret(claim_response(item))
    assert result["status"] == "denied"
    assert only_item(result)["sequence"] == 3
    assert only_item(result)["review_action"]["found_at"] == "item.extension[reviewAction]"


def test_header_review_action_covers_lines_without_their_own() -> None:
    header = {"extension": [review_action("A1", "HDR-1")], "category": {"coding": [{"code": "submitted"}]}}
    result = interpret(claim_response({"itemSequence": 1}, adjudication=[header]))
    assert (only_item(result)["decision"], only_item(result)["auth_number"]) == ("approved", "HDR-1")


def test_queued_outcome_without_review_actions_is_pended() -> None:
    result = interpret(claim_response({"itemSequence": 1}, outcome="queued"))
    assert result["status"] == "pended"
    assert "carries no reviewAction" in result["warnings"][0]


def test_no_review_action_anywhere_is_unknown_with_a_warning() -> None:
    result = interpret(claim_response({"itemSequence": 1}))
    assert result["status"] == "unknown"
    assert result["awaiting_decision"] is None
    assert any("cannot be read" in w for w in result["warnings"])


def test_unknown_review_action_code_is_named() -> None:
    result = interpret(claim_response(line(1, review_action("Q9"))))
    assert result["status"] == "unknown"
    assert only_item(result)["decision"] == "unknown"
    assert any("'Q9' is not an X12 HCR01 action code" in w for w in result["warnings"])


def test_operation_outcome_with_several_issues() -> None:
    outcome = {"resourceType": "OperationOutcome", "issue": [
        {"severity": "error", "code": "required", "diagnostics": "Claim.insurance is missing",
         "expression": ["Bundle.entry[0].resource.insurance"]},
        {"severity": "warning", "code": "informational"}]}
    result = interpret(outcome)
    assert result["status"] == "error"
    first, second = result["errors"]
    assert first["message"] == ("error: required — Claim.insurance is missing at "
                                "Bundle.entry[0].resource.insurance")
    assert first["expression"] == ["Bundle.entry[0].resource.insurance"]
    assert second["severity"] == "warning"
    assert "no further detail" in second["message"]


def test_operation_outcome_inside_a_bundle_without_claim_response() -> None:
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "OperationOutcome",
                      "issue": [{"severity": "fatal", "code": "exception"}]}}]}
    assert interpret(bundle)["status"] == "error"


def test_empty_inquiry_answer_is_not_found() -> None:
    assert interpret({"resourceType": "Parameters"})["status"] == "not_found"


def test_bytes_with_a_byte_order_mark_are_read() -> None:
    body = b"\xef\xbb\xbf" + json.dumps(claim_response(line(1, review_action("A1", "B")))).encode()
    assert read(body).status == "approved"


# -- input that is not a response ---------------------------------------------------------------

@pytest.mark.parametrize(("content", "says"), [
    ("", "empty"),
    ("   \n", "empty"),
    ("{not json", "not JSON"),
    (b"\xff\xfe\x00", "not UTF-8"),
    ("[]", "found a JSON array"),
    ('"ClaimResponse"', "found a JSON string"),
    ("{}", "no resourceType"),
    ('{"resourceType": 7}', "no resourceType"),
    ('{"resourceType": "Patient"}', "a Patient is not a payer response"),
    ('{"resourceType": "Claim"}', "the request itself"),
    ('{"resourceType": "Bundle", "type": "collection"}', "no ClaimResponse in this Bundle"),
    ('{"resourceType": "Parameters", "parameter": [{"name": "x", "valueString": "y"}]}',
     "Parameters without a response"),
])
def test_malformed_input_gets_a_clear_error(content: str | bytes, says: str) -> None:
    with pytest.raises(UnreadablePayerResponse) as raised:
        read(content)
    assert says in str(raised.value)


def test_request_bundle_is_refused_as_a_request() -> None:
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Claim", "id": "c"}}]}
    with pytest.raises(UnreadablePayerResponse, match="it is a PAS request"):
        interpret_pas_response(bundle)


def test_wrongly_typed_elements_are_ignored_not_a_crash() -> None:
    broken = claim_response({"itemSequence": "one", "adjudication": "A1", "extension": 5},
                            outcome=["complete"], error={"code": "x"}, preAuthPeriod="2025")
    result = interpret(broken)
    assert result["status"] in {"unknown", "error"}


fhir_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5)
    | st.sampled_from(["ClaimResponse", "Bundle", "A1", "A4", PAS + "extension-reviewAction",
                       PAS + "extension-reviewActionCode", "number", "code"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(
        st.sampled_from(["resourceType", "entry", "resource", "item", "adjudication", "extension",
                         "url", "valueString", "valueCodeableConcept", "coding", "code", "outcome",
                         "itemSequence", "error", "issue", "parameter", "request", "identifier",
                         "addItem", "valuePeriod", "start", "type"]), children, max_size=5),
    max_leaves=25)


@settings(max_examples=300, deadline=None)
@given(document=fhir_json)
def test_any_json_is_either_read_or_refused_clearly(document: Any) -> None:
    for candidate in (document, {"resourceType": "ClaimResponse", "item": document},
                      {"resourceType": "Bundle", "entry": [{"resource": document}]}):
        try:
            reading = interpret_pas_response(copy.deepcopy(candidate))
        except UnreadablePayerResponse as err:
            assert err.message
        else:
            assert isinstance(reading, PasResponse)
            json.dumps(reading.as_json())


# -- the command --------------------------------------------------------------------------------

def painauth(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([str(PAINAUTH), *args], input=stdin, capture_output=True, timeout=60,
                          check=False)


needs_cli = pytest.mark.skipif(not PAINAUTH.exists(), reason=f"{PAINAUTH} is not installed")


@needs_cli
def test_pas_read_prints_the_interpretation_of_a_file() -> None:
    pended = FIXTURES / "Bundle-ReferralPendingAuthorizationResponseBundleExample.json"
    done = painauth("pas", "read", str(pended))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "pended"
    assert result["items"][0]["administration_reference"] == "PEND0001"


@needs_cli
def test_pas_read_reads_standard_input() -> None:
    body = (FIXTURES / "ClaimResponse-PractitionerRequestorResponseExample.json").read_bytes()
    done = painauth("pas", "read", "-", stdin=body)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["items"][0]["auth_number"] == "AUTH0001"


@needs_cli
@pytest.mark.parametrize(("stdin", "says"), [(b"<html>502 Bad Gateway</html>", "not JSON"),
                                             (b'{"resourceType": "Patient"}', "not a payer response")])
def test_pas_read_refuses_unreadable_input_with_exit_2_and_a_json_error(stdin: bytes, says: str) -> None:
    done = painauth("pas", "read", "-", stdin=stdin)
    assert done.returncode == 2
    error = json.loads(done.stdout)["error"]
    assert says in error["message"]
    assert b"Traceback" not in done.stderr
    assert says.encode() in done.stderr


@needs_cli
def test_pas_read_of_a_missing_file_exits_2() -> None:
    done = painauth("pas", "read", "/nonexistent/response.json")
    assert done.returncode == 2
    assert "cannot read" in json.loads(done.stdout)["error"]["message"]
