"""Keeping a provider account to its own patients on the pages it may read.

Staff see the whole practice; a provider reaching a patient, an authorization or an alert that
is not theirs gets the board's "not found" page (404), the same answer as a record that does not
exist, so nothing about another provider's patient is shown (tracker.visits.provider_reach)."""

from __future__ import annotations

from fastapi import Request

from notifications.listing import provider_of_alert
from tracker.store.users import User
from tracker.visits.provider_reach import (
    performs_authorization,
    reaches_authorization,
    reaches_patient,
)


class OutOfReach(Exception):
    """A provider asked for a record that is not one of theirs: answered 404."""

    def __init__(self, what: str, record_id: int) -> None:
        super().__init__(f"There is no {what} with id {record_id} among your patients.")
        self.what, self.message = what, str(self)


def own_provider(user: User) -> int | None:
    """The provider whose patients this user is kept to; None for staff, who see all."""
    return user.provider_id if user.is_provider else None


def check_patient(request: Request, user: User, patient_id: int) -> None:
    provider = own_provider(user)
    if provider is not None and not reaches_patient(request.app.state.board.engine, provider,
                                                    patient_id):
        raise OutOfReach("patient", patient_id)


def check_authorization(request: Request, user: User, authorization_id: int) -> None:
    provider = own_provider(user)
    if provider is not None and not reaches_authorization(request.app.state.board.engine,
                                                          provider, authorization_id):
        raise OutOfReach("authorization", authorization_id)


def check_alert(request: Request, user: User, alert_id: int) -> None:
    provider = own_provider(user)
    if provider is not None and provider_of_alert(request.app.state.board.engine,
                                                  alert_id) != provider:
        raise OutOfReach("alert", alert_id)


def may_argue_peer_to_peer(request: Request, user: User, authorization_id: int) -> bool:
    """Billing works every denial; a provider records the peer-to-peer of a visit they perform."""
    if user.may("billing"):
        return True
    provider = own_provider(user)
    return provider is not None and performs_authorization(request.app.state.board.engine,
                                                           provider, authorization_id)
