"""A visit's readiness: every readiness and every reason, one behaviour per test."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from tracker.visits.readiness import (
    READINESSES,
    REASONS,
    AuthorizationFacts,
    AuthorizationLine,
    BookedLine,
    Readiness,
    VisitFacts,
    VisitLocation,
    procedure_units,
    readiness_of,
)

VISIT = date(2026, 12, 12)
NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
DOCS = Path(__file__).resolve().parents[2] / "docs" / "readiness.md"
TFESI = (BookedLine("64483"), BookedLine("77003", needs_authorization=False))


def finding(code: str, severity: str, message: str = "as the policy says") -> dict[str, Any]:
    return {"code": code, "severity": severity, "message": message, "policy": "p", "source": "s"}


def evaluation(verdict: str = "ok", *, auth: bool = False, coding_ok: bool = True,
               findings: tuple[dict[str, Any], ...] = (),
               next_eligible: str | None = None) -> dict[str, Any]:
    return {"verdict": verdict, "prior_auth_required": auth, "coding_ok": coding_ok,
            "findings": list(findings), "next_eligible_date": next_eligible or VISIT.isoformat()}


def approval(**changes: Any) -> AuthorizationFacts:
    facts: dict[str, Any] = {
        "id": 7, "status": "approved", "number": "UHC-1", "valid_from": date(2026, 12, 1),
        "valid_to": date(2027, 2, 28),
        "lines": (AuthorizationLine("64483", units_requested=1, units_approved=1),
                  AuthorizationLine("77003", kind="guidance", units_requested=1,
                                    units_approved=1))}
    facts.update(changes)
    return AuthorizationFacts(**facts)


def read(result: dict[str, Any] | None, auth: AuthorizationFacts | None = None, *,
         covered: bool = True, booked: tuple[BookedLine, ...] = TFESI) -> Readiness:
    return readiness_of(VisitFacts(date=VISIT, now=NOW, evaluation=result, covered=covered,
                                   booked=booked, authorization=auth))


def needing_auth(auth: AuthorizationFacts | None, **kwargs: Any) -> Readiness:
    return read(evaluation("needs_auth", auth=True), auth, **kwargs)


# --- clear


def test_a_visit_needing_no_authorization_with_nothing_in_the_way_is_clear() -> None:
    ready = read(evaluation("ok"))
    assert (ready.readiness, ready.reason_codes) == ("clear", ("NO_AUTHORIZATION_NEEDED",))


def test_an_approval_with_number_window_and_lines_covering_the_booking_is_clear() -> None:
    ready = needing_auth(approval())
    assert (ready.readiness, ready.reason_codes) == ("clear", ("APPROVED",))
    assert "UHC-1" in ready.next_action and "2027-02-28" in ready.next_action


# --- stop


def test_no_coverage_on_the_date_stops_the_visit() -> None:
    ready = read(evaluation("ok"), covered=False)
    assert (ready.readiness, ready.reason_codes) == ("stop", ("NO_COVERAGE",))
    assert "insurance" in ready.next_action


def test_a_denied_authorization_stops_the_visit_even_with_a_clean_evaluation() -> None:
    ready = needing_auth(AuthorizationFacts(id=3, status="denied",
                                            decision_reason="not medically necessary"))
    assert (ready.readiness, ready.reason_codes) == ("stop", ("DENIED",))
    assert "not medically necessary" in ready.next_action


def test_a_frequency_block_stops_the_visit_and_gives_the_rebooking_date() -> None:
    ready = read(evaluation("blocked", findings=(finding("FREQUENCY_LIMIT_REACHED", "block"),),
                            next_eligible="2027-02-16"))
    assert (ready.readiness, ready.reason_codes) == ("stop", ("POLICY_BLOCKED",))
    assert ready.next_eligible_date == "2027-02-16"
    assert "rebook on or after 2027-02-16" in ready.next_action


def test_an_interval_block_is_about_time_too() -> None:
    ready = read(evaluation("blocked", findings=(finding("INTERVAL_TOO_SHORT", "block"),),
                            next_eligible="2026-12-20"))
    assert ready.next_eligible_date == "2026-12-20"


def test_a_block_not_about_time_gives_no_date_but_what_would_lift_it() -> None:
    ready = read(evaluation("blocked", findings=(finding("NOT_COVERED", "block"),)))
    assert (ready.readiness, ready.next_eligible_date) == ("stop", None)
    assert "change the plan" in ready.next_action and VISIT.isoformat() not in ready.next_action


def test_a_time_block_beside_another_block_gives_no_rebooking_date() -> None:
    ready = read(evaluation("blocked", findings=(
        finding("FREQUENCY_LIMIT_REACHED", "block"), finding("PSYCH_NOT_CLEARED", "block")),
        next_eligible="2027-02-16"))
    assert ready.next_eligible_date is None
    assert "psychological evaluation" in ready.next_action


# --- act


def test_a_visit_never_evaluated_must_be_checked() -> None:
    ready = read(None)
    assert (ready.readiness, ready.reason_codes) == ("act", ("NOT_EVALUATED",))
    assert "Check again now" in ready.next_action


def test_a_booking_moved_since_its_check_must_be_checked_again() -> None:
    moved = {**evaluation("ok"), "scheduled_date": "2026-12-05"}
    ready = read(moved)
    assert (ready.readiness, ready.reason_codes) == ("act", ("NOT_EVALUATED",))
    assert "checked for 2026-12-05" in ready.next_action


def test_a_coding_error_on_an_ok_verdict_is_never_clear() -> None:
    ready = read(evaluation("ok", coding_ok=False, findings=(
        finding("IMAGING_GUIDANCE_BUNDLED", "coding", "77003 is bundled into 64483"),)))
    assert (ready.readiness, ready.reason_codes) == ("act", ("CODING_ERROR",))
    assert "77003 is bundled" in ready.next_action


def test_an_office_booking_at_a_surgery_center_is_for_billing_to_correct_before_sending() -> None:
    surgery_center = VisitLocation("Synthetic Surgery Center", "24")
    ready = readiness_of(VisitFacts(date=VISIT, now=NOW, evaluation=evaluation("needs_auth",
                                                                              auth=True),
                                    booked=TFESI, place_of_service="11", location=surgery_center))
    assert (ready.readiness, ready.reason_codes) == ("act", ("PLACE_OF_SERVICE_MISMATCH",))
    assert ready.reasons[0].who == "billing"
    assert "place of service 11 at Synthetic Surgery Center, whose place of service is 24" in (
        ready.next_action)
    matching = readiness_of(VisitFacts(date=VISIT, now=NOW, evaluation=evaluation("ok"),
                                       booked=TFESI, place_of_service="24",
                                       location=surgery_center))
    assert matching.reason_codes == ("NO_AUTHORIZATION_NEEDED",)


def test_missing_documentation_is_for_the_provider_to_add() -> None:
    ready = read(evaluation("needs_documentation", auth=True, findings=(
        finding("PRIOR_RESPONSE_MISSING", "documentation", "no relief recorded"),)))
    assert (ready.readiness, ready.reason_codes) == ("act", ("DOCUMENTATION_MISSING",))
    assert ready.reasons[0].who == "provider"


def test_an_authorization_waiting_only_on_coding_fixes_reads_as_coding_not_documentation() -> None:
    auth = AuthorizationFacts(id=4, status="documentation_missing", missing_items=(
        "IMAGING_GUIDANCE_BUNDLED: 77003 is bundled (fix the coding before submitting)",))
    ready = read(evaluation("needs_auth", auth=True, coding_ok=False, findings=(
        finding("IMAGING_GUIDANCE_BUNDLED", "coding"),)), auth)
    assert ready.reason_codes == ("CODING_ERROR",)


def test_an_authorization_needed_and_not_yet_sent_must_be_submitted() -> None:
    ready = needing_auth(AuthorizationFacts(id=5, status="needed"))
    assert (ready.readiness, ready.reason_codes) == ("act", ("NOT_SUBMITTED",))


def test_an_authorization_needed_and_never_opened_must_be_submitted() -> None:
    assert needing_auth(None).reason_codes == ("NOT_SUBMITTED",)


def test_a_decision_past_its_due_time_is_overdue() -> None:
    ready = needing_auth(AuthorizationFacts(id=6, status="submitted",
                                            decision_due_at=datetime(2026, 11, 30, tzinfo=UTC)))
    assert (ready.readiness, ready.reason_codes) == ("act", ("DECISION_OVERDUE",))


def test_a_decision_flagged_overdue_is_overdue() -> None:
    ready = needing_auth(AuthorizationFacts(id=6, status="pended", flags=("decision_overdue",)))
    assert ready.reason_codes == ("DECISION_OVERDUE",)


def test_a_decision_due_after_the_visit_needs_someone_to_act() -> None:
    ready = needing_auth(AuthorizationFacts(id=6, status="submitted",
                                            decision_due_at=datetime(2026, 12, 14, tzinfo=UTC)))
    assert (ready.readiness, ready.reason_codes) == ("act", ("DECISION_DUE_AFTER_VISIT",))
    assert "2026-12-14" in ready.next_action


def test_a_payer_asking_for_information_needs_billing() -> None:
    ready = needing_auth(AuthorizationFacts(id=6, status="pended", flags=("contact_payer",),
                                            decision_due_at=datetime(2026, 12, 5, tzinfo=UTC)))
    assert (ready.readiness, ready.reason_codes) == ("act", ("INFORMATION_REQUESTED",))


def test_a_packet_handed_to_staff_is_not_waiting_on_the_payer() -> None:
    ready = needing_auth(AuthorizationFacts(id=7, status="submitted", flags=("packet_ready",),
                                            decision_due_at=datetime(2026, 12, 5, tzinfo=UTC)))
    assert (ready.readiness, ready.reason_codes) == ("act", ("PACKET_NOT_SENT",))
    assert "no one has recorded sending it" in ready.next_action


def test_an_approval_starting_after_the_visit_does_not_cover_it() -> None:
    ready = needing_auth(approval(valid_from=date(2027, 1, 1), valid_to=date(2027, 2, 1)))
    assert (ready.readiness, ready.reason_codes) == ("act", ("OUTSIDE_APPROVED_WINDOW",))
    assert "2027-01-01 to 2027-02-01" in ready.next_action


def test_an_approval_ending_before_the_visit_does_not_cover_it() -> None:
    ready = needing_auth(approval(valid_from=date(2026, 11, 1), valid_to=date(2026, 12, 10)))
    assert ready.reason_codes == ("OUTSIDE_APPROVED_WINDOW",)


def test_an_approval_without_a_recorded_window_is_not_clear() -> None:
    ready = needing_auth(approval(valid_from=None, valid_to=None))
    assert (ready.readiness, ready.reason_codes) == ("act", ("OUTSIDE_APPROVED_WINDOW",))


def test_an_approval_without_the_payers_number_must_have_it_recorded() -> None:
    ready = needing_auth(approval(number=None))
    assert (ready.readiness, ready.reason_codes) == ("act", ("APPROVAL_WITHOUT_NUMBER",))


def test_a_booked_code_the_approval_does_not_cover_is_named() -> None:
    ready = needing_auth(approval(), booked=(*TFESI, BookedLine("64484")))
    assert (ready.readiness, ready.reason_codes) == ("act", ("CODES_NOT_AUTHORIZED",))
    assert "64484" in ready.next_action


def test_imaging_guidance_never_needs_its_own_approval_line() -> None:
    auth = approval(lines=(AuthorizationLine("64483", units_approved=1),))
    assert needing_auth(auth).readiness == "clear"


def test_a_booking_with_more_units_than_left_on_the_approval_is_short() -> None:
    auth = approval(lines=(AuthorizationLine("64483", units_requested=2, units_approved=2,
                                             units_used=2),))
    ready = needing_auth(auth, booked=(BookedLine("64483"),))
    assert (ready.readiness, ready.reason_codes) == ("act", ("UNITS_SHORT",))
    assert "0 units left of 2" in ready.next_action


# --- waiting


def test_a_submitted_request_due_before_the_visit_is_waiting() -> None:
    ready = needing_auth(AuthorizationFacts(id=6, status="submitted",
                                            decision_due_at=datetime(2026, 12, 8, tzinfo=UTC)))
    assert (ready.readiness, ready.reason_codes) == ("waiting", ("AWAITING_DECISION",))


# --- how reasons combine


def test_the_worst_reason_decides_and_comes_first() -> None:
    ready = read(evaluation("needs_auth", auth=True, coding_ok=False, findings=(
        finding("UNKNOWN_CODE", "coding"),)), AuthorizationFacts(id=1, status="denied"))
    assert ready.readiness == "stop"
    assert ready.reason_codes == ("DENIED", "CODING_ERROR")


def test_every_reason_has_a_readiness_someone_to_act_and_a_sentence() -> None:
    for code, entry in REASONS.items():
        assert entry.readiness in READINESSES, code
        assert entry.action.strip().endswith("."), code


def test_the_vocabulary_is_documented_code_by_code() -> None:
    text = DOCS.read_text()
    assert [code for code in REASONS if f"`{code}`" not in text] == []


# --- units, procedures apart from drugs


def test_a_drug_on_the_same_approval_never_adds_to_procedure_units() -> None:
    lines = (AuthorizationLine("64483", units_requested=1, units_approved=1),
             AuthorizationLine("64484", units_requested=1, units_approved=1),
             AuthorizationLine("J1010", kind="drug", units_requested=40, units_approved=40))
    assert procedure_units(lines) == "2 of 2 procedure units"


def test_a_two_session_approval_has_one_left_after_one_is_performed() -> None:
    line = AuthorizationLine("64483", units_requested=2, units_approved=2, units_used=1)
    assert (line.units_used, line.units_left) == (1, 1)
    ready = needing_auth(approval(lines=(line,)), booked=(BookedLine("64483"),))
    assert ready.readiness == "clear"
