"""Errors a user can cause, each naming the input and what to do about it."""

from __future__ import annotations


class PainauthError(Exception):
    """Base of every error painauth reports to a user without a traceback."""


class InputError(PainauthError):
    """A check document that cannot be evaluated; `path` names the field (e.g. history[1].date)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message


class PolicyError(PainauthError):
    """A policy file that does not describe valid rules."""

    def __init__(self, file: str, rule: str | None, field: str | None, message: str) -> None:
        where = file
        if rule:
            where += f": rule {rule}"
        if field:
            where += f": field '{field}'"
        super().__init__(f"{where}: {message}")
        self.file = file
        self.rule = rule
        self.field = field
        self.message = message


class PolicyErrors(PainauthError):
    """Every problem found in a set of policy files, reported together."""

    def __init__(self, errors: list[PolicyError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


class UnknownPayer(PainauthError):
    def __init__(self, payer: str, known: list[str]) -> None:
        super().__init__(f"unknown payer {payer!r}; known payers: {', '.join(known)}")
        self.payer = payer
        self.known = known
