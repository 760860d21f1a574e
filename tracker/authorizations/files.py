"""The two documents of an authorization staff download: the PDF packet and the PAS request Bundle.

Once a request has been submitted these are what went to the payer: the packet the submit service
wrote under `<PAINAUTH_HOME>/packets/<bundle identifier>.pdf` and the bundle stored on the attempt.
Before that, both are rendered from the package as it stands (a preview).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session as DbSession
from sqlmodel import col, select

from tracker.authorizations.gateways import fax_number, packet_path
from tracker.packages.assembly import assemble_package
from tracker.packages.errors import AuthorizationNotFound
from tracker.store.tables import AuthorizationRow, SubmissionAttemptRow


@dataclass(frozen=True)
class AuthorizationFile:
    name: str  # the file name to save it as
    content: bytes
    sent: bool  # True: the document of a submission attempt; False: a preview of the package


def packet_pdf(engine: Engine, authorization_id: int, packets: Path, as_of: date) -> AuthorizationFile:
    """The packet of the latest attempt whose packet is on disk, else one rendered now."""
    with DbSession(engine) as db:
        _require(db, authorization_id)
        for identifier in db.exec(select(SubmissionAttemptRow.bundle_identifier)
                                  .where(SubmissionAttemptRow.authorization_id == authorization_id)
                                  .order_by(col(SubmissionAttemptRow.attempt).desc())):
            written = packet_path(packets, identifier)
            if written.is_file():
                return AuthorizationFile(written.name, written.read_bytes(), sent=True)
        package = assemble_package(db, authorization_id, as_of).package
    from tracker.packages.packet import render_packet

    return AuthorizationFile(f"authorization-{authorization_id}-preview.pdf",
                             render_packet(package, today=as_of,
                                           fax_to=fax_number(package.coverage.payer)),
                             sent=False)


def request_bundle(engine: Engine, authorization_id: int, as_of: date) -> tuple[str, dict[str, Any]]:
    """(file name, bundle): the latest attempt's request, else the bundle the package makes now."""
    with DbSession(engine) as db:
        auth = _require(db, authorization_id)
        attempt = db.exec(select(SubmissionAttemptRow)
                          .where(SubmissionAttemptRow.authorization_id == authorization_id)
                          .order_by(col(SubmissionAttemptRow.attempt).desc())).first()
        if attempt is not None:
            return f"{attempt.bundle_identifier}.json", attempt.request
        package = assemble_package(db, authorization_id, as_of).package
        identifier = auth.submission_id or f"auth-{authorization_id}-preview"
    from tracker.packages.pas_bundle import pas_request_bundle

    return f"{identifier}.json", pas_request_bundle(package, identifier)


def _require(db: DbSession, authorization_id: int) -> AuthorizationRow:
    auth = db.get(AuthorizationRow, authorization_id)
    if auth is None:
        raise AuthorizationNotFound(authorization_id)
    return auth
