"""Exemptions and approval rates on a seeded practice, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine
from sqlmodel import Session as DbSession

from tracker.authorizations.exemptions import approval_rates
from tracker.practice.synthetic import PracticeShape, seed_practice
from tracker.store.exemptions import held_exemptions

AS_OF = date(2026, 12, 1)


def test_the_exempt_provider_qualifies_from_the_decisions_recorded(engine: Engine) -> None:
    seed_practice(engine, seed=5, as_of=AS_OF, shape=PracticeShape(patients=60))
    [rate] = [r for r in approval_rates(engine, 2026) if r.program == "medicare-opd"]
    assert (rate.requests, rate.approved) == (12, 11)
    assert rate.period == (date(2026, 1, 1), date(2026, 9, 30))
    assert rate.qualifies and rate.standing == "qualifies"
    assert approval_rates(engine, 2025) == []  # the decisions fall in 2026's review period


def test_stored_exemptions_reach_the_engine_by_payer(engine: Engine) -> None:
    seed_practice(engine, seed=5, as_of=AS_OF, shape=PracticeShape(patients=60))
    with DbSession(engine) as db:
        held = held_exemptions(db)
    [letter] = held["medicare"]
    assert letter.program == "medicare-wiser"
    assert letter.families == frozenset({"esi_interlaminar", "esi_transforaminal"})
    assert letter.provider_npi is not None
