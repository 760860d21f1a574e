"""Which visit states raise which alerts (pure rules, no database)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from notifications.rules import AlertThresholds, VisitFacts, alerts_for

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
VISIT = VisitFacts(session_id=7, patient_id=3, mrn="SYN-1042", date=date(2026, 12, 10),
                   provider_id=1, codes="64483", payer="medicare", verdict="needs_auth",
                   prior_auth_required=True, auth_id=11, auth_status="approved",
                   auth_valid_to=date(2027, 1, 31))


DEFAULTS = AlertThresholds()


def kinds(visit: VisitFacts, thresholds: AlertThresholds = DEFAULTS) -> list[str]:
    return [a.kind for a in alerts_for(visit, NOW, thresholds)]


def test_an_approved_visit_within_its_limits_raises_nothing() -> None:
    assert kinds(VISIT) == []


def test_visit_taking_the_last_allowed_slot_is_a_low_urgency_limit_approaching() -> None:
    [alert] = alerts_for(replace(VISIT, finding_codes=frozenset({"FREQUENCY_LIMIT_APPROACHING"})),
                         NOW, AlertThresholds())
    assert (alert.kind, alert.urgency, alert.dedupe_key) == (
        "limit_approaching", "low", "limit_approaching:session:7:last_slot")


def test_booked_visit_over_the_limit_or_too_soon_is_limit_reached() -> None:
    over = replace(VISIT, verdict="blocked", finding_codes=frozenset({"INTERVAL_TOO_SHORT"}))
    assert kinds(over) == ["limit_reached"]
    not_a_limit = replace(VISIT, verdict="blocked", finding_codes=frozenset({"NOT_COVERED"}))
    assert kinds(not_a_limit) == []


def test_unapproved_authorization_alerts_only_within_the_configured_days() -> None:
    pended = replace(VISIT, auth_status="pended", date=date(2026, 12, 7))  # 6 days away
    assert kinds(pended) == []
    assert kinds(pended, AlertThresholds(auth_pending_days=6)) == ["auth_pending"]
    assert kinds(replace(pended, date=date(2026, 12, 4))) == ["auth_pending"]


def test_pending_then_denied_is_a_new_alert_but_submitted_then_pended_is_not() -> None:
    soon = replace(VISIT, date=date(2026, 12, 3))
    keys = {s: [a.dedupe_key for a in alerts_for(replace(soon, auth_status=s), NOW,
                                                AlertThresholds())]
            for s in ("submitted", "pended", "denied")}
    assert keys["submitted"] == keys["pended"] == ["auth_pending:session:7:not_approved"]
    assert keys["denied"] == ["auth_denied:session:7:denied:11"]


def test_approval_ending_before_the_visit_is_raised_with_its_end_date() -> None:
    [alert] = alerts_for(replace(VISIT, auth_valid_to=date(2026, 12, 5)), NOW, AlertThresholds())
    assert (alert.kind, alert.state) == ("auth_expires_before_visit", "valid_to:2026-12-05")


def test_missing_documentation_and_an_overdue_decision_are_raised() -> None:
    missing = replace(VISIT, verdict="needs_documentation", auth_status="documentation_missing",
                      auth_missing_items=("psych_clearance",))
    assert kinds(missing) == ["documentation_missing"]
    overdue = replace(VISIT, auth_status="submitted",
                      auth_decision_due_at=datetime(2026, 11, 30, 12, tzinfo=UTC))
    assert kinds(overdue) == ["decision_overdue"]
    flagged = replace(VISIT, auth_status="pended", auth_flags=("decision_overdue",))
    assert kinds(flagged) == ["decision_overdue"]
    not_yet = replace(overdue, auth_decision_due_at=datetime(2026, 12, 2, tzinfo=UTC))
    assert kinds(not_yet) == []
