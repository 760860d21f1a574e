"""The completeness check: ready, or documentation_missing with the list of what is missing;
every change an event row saying who, when and why."""

from __future__ import annotations

import pytest
from sqlmodel import Session as DbSession
from sqlmodel import col, select

from tracker.packages.errors import AuthorizationNotFound, NotPreparable
from tracker.packages.preparation import prepare_authorization, prepare_open_authorizations
from tracker.store.tables import AuthorizationEventRow, AuthorizationRow

from .practice import TODAY, Practice, add_rows

ACTOR = "billing:alex"


def _events(practice: Practice, authorization_id: int) -> list[AuthorizationEventRow]:
    with DbSession(practice.engine) as db:
        return list(db.exec(select(AuthorizationEventRow)
                            .where(AuthorizationEventRow.authorization_id == authorization_id)
                            .order_by(col(AuthorizationEventRow.id))))


def _stored(practice: Practice, authorization_id: int) -> AuthorizationRow:
    with DbSession(practice.engine) as db:
        row = db.get(AuthorizationRow, authorization_id)
        assert row is not None
        return row


def test_complete_package_moves_to_ready_with_an_event(practice: Practice) -> None:
    auth_id = practice.authorization_id("PKG-ESI-READY")

    preparation = prepare_authorization(practice.engine, auth_id, ACTOR, as_of=TODAY)

    assert (preparation.from_status, preparation.to_status) == ("needed", "ready")
    assert preparation.missing == ()
    assert (_stored(practice, auth_id).status, _stored(practice, auth_id).missing_items) == (
        "ready", [])
    last = _events(practice, auth_id)[-1]
    assert (last.from_status, last.to_status, last.actor) == ("needed", "ready", ACTOR)
    assert last.reason and "complete" in last.reason and last.at is not None


def test_uhc_esi_without_medication_stays_documentation_missing_until_it_is_recorded(
        practice: Practice) -> None:
    auth_id = practice.authorization_id("PKG-ESI-NOMED")

    first = prepare_authorization(practice.engine, auth_id, ACTOR, as_of=TODAY)

    assert first.to_status == "documentation_missing"
    assert first.missing == ("STEP_THERAPY_INSUFFICIENT: no medication on file",)
    assert _stored(practice, auth_id).missing_items == list(first.missing)
    events_before = len(_events(practice, auth_id))

    add_rows(practice, "conservative_care.csv", ["patient_mrn", "kind", "start", "end"],
             [("PKG-ESI-NOMED", "medication", "2026-09-01", "2026-11-20")])
    without_outcome = prepare_authorization(practice.engine, auth_id, ACTOR, as_of=TODAY)
    assert without_outcome.to_status == "documentation_missing"
    assert [m.split(":")[0] for m in without_outcome.missing] == [
        "CONSERVATIVE_CARE_DETAIL_MISSING"]
    assert "medication of 2026-09-01 to 2026-11-20 has no outcome" in without_outcome.missing[0]

    add_rows(practice, "conservative_care.csv",
             ["patient_mrn", "kind", "start", "end", "outcome", "drugs"],
             [("PKG-ESI-NOMED", "medication", "2026-09-01", "2026-11-20", "no_relief",
               "ibuprofen 600 mg")])
    second = prepare_authorization(practice.engine, auth_id, ACTOR, as_of=TODAY)

    assert (second.from_status, second.to_status, second.missing) == (
        "documentation_missing", "ready", ())
    events = _events(practice, auth_id)
    assert len(events) == events_before + 2
    assert (events[-1].from_status, events[-1].to_status) == ("documentation_missing", "ready")


def test_unchanged_package_writes_no_event(practice: Practice) -> None:
    auth_id = practice.authorization_id("PKG-ESI-READY")
    prepare_authorization(practice.engine, auth_id, ACTOR, as_of=TODAY)
    count = len(_events(practice, auth_id))

    again = prepare_authorization(practice.engine, auth_id, ACTOR, as_of=TODAY)

    assert (again.from_status, again.to_status) == ("ready", "ready")
    assert len(_events(practice, auth_id)) == count


def test_cigna_scs_trial_with_an_expired_psych_evaluation_is_missing_a_new_one(
        practice: Practice) -> None:
    auth_id = practice.authorization_id("PKG-SCS-PSYCH")

    preparation = prepare_authorization(practice.engine, auth_id, ACTOR, as_of=TODAY)

    assert preparation.to_status == "documentation_missing"
    assert len(preparation.missing) == 1
    assert preparation.missing[0].startswith("PSYCH_CLEARANCE_EXPIRED: the latest clearance "
                                             "(2025-06-01) is older than 12 months")


def test_rfa_without_diagnostic_blocks_is_missing_the_blocks(practice: Practice) -> None:
    auth_id = practice.authorization_id("PKG-RFA-NOBLOCKS")

    preparation = prepare_authorization(practice.engine, auth_id, ACTOR, as_of=TODAY)

    assert preparation.to_status == "documentation_missing"
    assert [m.split(":")[0] for m in preparation.missing] == ["DIAGNOSTIC_BLOCKS_MISSING"]


def test_rfa_without_blocks_under_a_policy_requiring_them_names_the_policy_finding(
        practice: Practice) -> None:
    auth_id = practice.authorization_id("PKG-RFA-NOBLOCKS")
    with DbSession(practice.engine) as db:  # the same visit asked of Cigna, which demands two
        row = db.get(AuthorizationRow, auth_id)
        assert row is not None
        row.payer = "cigna"
        db.add(row)
        db.commit()
    add_rows(practice, "coverages.csv", ["patient_mrn", "payer", "member_id", "effective_start"],
             [("PKG-RFA-NOBLOCKS", "cigna", "CGN2000009", "2025-01-01")])

    preparation = prepare_authorization(practice.engine, auth_id, ACTOR, as_of=TODAY)

    codes = [m.split(":")[0] for m in preparation.missing]
    assert codes == ["PREREQUISITE_NOT_MET"]  # the package's own need is not said twice
    assert "two diagnostic medial branch blocks" in preparation.missing[0]


def test_coding_findings_must_be_resolved_before_ready(practice: Practice) -> None:
    auth_id = practice.authorization_id("PKG-ESI-CODING")

    preparation = prepare_authorization(practice.engine, auth_id, ACTOR, as_of=TODAY)

    assert preparation.to_status == "documentation_missing"
    assert [m.split(":")[0] for m in preparation.missing] == ["IMAGING_GUIDANCE_BUNDLED"]
    assert "fix the coding before submitting" in preparation.missing[0]


def test_a_session_without_diagnoses_is_not_ready(practice: Practice) -> None:
    preparation = prepare_authorization(
        practice.engine, practice.authorization_id("PKG-ESI-NODX"), ACTOR, as_of=TODAY)

    assert preparation.to_status == "documentation_missing"
    assert [m.split(":")[0] for m in preparation.missing] == ["DIAGNOSIS_MISSING"]


def test_batch_prepares_every_open_authorization_and_writes_an_event_for_each_change(
        practice: Practice) -> None:
    summary = prepare_open_authorizations(practice.engine, "prepare-packages", as_of=TODAY)

    assert summary.problems == []
    by_mrn = {p.package.patient.mrn: p.to_status for p in summary.prepared}
    assert by_mrn == {
        "SYN-1002": "ready", "PKG-ESI-READY": "ready",
        "PKG-ESI-NOMED": "documentation_missing", "PKG-ESI-CODING": "documentation_missing",
        "PKG-ESI-NODX": "documentation_missing", "PKG-RFA-NOBLOCKS": "documentation_missing",
        "PKG-SCS-PSYCH": "documentation_missing"}
    for preparation in summary.prepared:
        events = _events(practice, preparation.authorization_id)
        assert events[0].from_status is None  # opened by the pre-visit check
        if preparation.changed:
            assert (events[-1].to_status, events[-1].actor) == (preparation.to_status,
                                                                "prepare-packages")
    # ready ones are not open for preparation any more: a second batch leaves them alone
    again = prepare_open_authorizations(practice.engine, "prepare-packages", as_of=TODAY)
    assert {p.package.patient.mrn for p in again.prepared} == {
        "PKG-ESI-NOMED", "PKG-ESI-CODING", "PKG-ESI-NODX", "PKG-RFA-NOBLOCKS", "PKG-SCS-PSYCH"}


def test_a_submitted_authorization_is_not_prepared_again(practice: Practice) -> None:
    auth_id = practice.authorization_id("PKG-ESI-READY")
    with DbSession(practice.engine) as db:
        row = db.get(AuthorizationRow, auth_id)
        assert row is not None
        row.status = "submitted"
        db.add(row)
        db.commit()

    with pytest.raises(NotPreparable, match="is submitted"):
        prepare_authorization(practice.engine, auth_id, ACTOR, as_of=TODAY)


def test_an_unknown_authorization_is_named(practice: Practice) -> None:
    with pytest.raises(AuthorizationNotFound, match="no authorization with id 9999"):
        prepare_authorization(practice.engine, 9999, ACTOR, as_of=TODAY)


def test_every_package_called_ready_is_one_the_sandbox_payer_finds_complete(
        practice: Practice) -> None:
    """The completeness check and the payer sandbox read one table of what payers ask for."""
    from tracker.packages.assembly import assemble_package
    from tracker.packages.evidence import evidence_codes
    from tracker.packages.pas_bundle import pas_request_bundle
    from tracker.payers.sandbox.adjudication import Adjudicator
    from tracker.payers.sandbox.rules import default_rules

    prepared = prepare_open_authorizations(practice.engine, ACTOR, TODAY)
    assert prepared.ready, "the practice has no ready package to compare"
    adjudicator = Adjudicator(default_rules())
    for auth_id in prepared.ready:
        with DbSession(practice.engine) as db:
            package = assemble_package(db, auth_id, TODAY).package
        bundle = pas_request_bundle(package, f"agreement-{auth_id}")
        claim = next(e["resource"] for e in bundle["entry"]
                     if e["resource"]["resourceType"] == "Claim")
        decisions = adjudicator.decide(claim, evidence_codes(bundle), now=0.0)
        missing = [reason for d in decisions for reason in d.reasons
                   if reason[0] == "evidence-missing"]
        assert missing == [], (auth_id, missing)
