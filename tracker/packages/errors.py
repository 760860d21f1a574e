"""Errors of package assembly a user can cause, each saying what to do."""

from __future__ import annotations

from tracker.errors import PainauthError


class PackageError(PainauthError):
    """An authorization whose package cannot be built or changed as asked."""


class AuthorizationNotFound(PackageError):
    def __init__(self, authorization_id: int) -> None:
        super().__init__(f"no authorization with id {authorization_id}; "
                         "`painauth status` lists the upcoming visits and their authorizations")
        self.authorization_id = authorization_id


class NotPreparable(PackageError):
    """The authorization has moved past preparation (submitted, decided, closed)."""

    def __init__(self, authorization_id: int, status: str) -> None:
        super().__init__(f"authorization {authorization_id} is {status}; only needed, "
                         "documentation_missing and ready authorizations are prepared")
        self.authorization_id = authorization_id
        self.status = status


class NoCoverageForPayer(PackageError):
    def __init__(self, authorization_id: int, payer: str, mrn: str) -> None:
        super().__init__(f"authorization {authorization_id}: patient {mrn} has no {payer} "
                         "coverage on file; import the coverage first")


class DocumentFileMissing(PackageError):
    """An uploaded document's file is gone from PAINAUTH_HOME/documents (restored without it?)."""

    def __init__(self, document_id: int, title: str) -> None:
        super().__init__(f"document {document_id} ({title!r}) has no file under "
                         "PAINAUTH_HOME/documents; restore the folder from the backup, or "
                         "withdraw the document on the board and upload it again")
        self.document_id = document_id
