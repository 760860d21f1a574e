"""What the sandbox payer remembers: submissions and their decisions, what it received, the
duplicates it recognized, subscriptions, faults to inject and tokens issued. In memory, and in
a JSON file when one is given so a restarted sandbox keeps its submissions."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tracker.payers.fhir_elements import identifiers, objects, preferred_coding, text
from tracker.payers.sandbox.adjudication import PENDED, LineDecision
from tracker.payers.sandbox.faults import Fault


@dataclass
class Submission:
    key: str  # the request Bundle identifier, "system|value"
    number: str  # the payer's number for it: ClaimResponse id and authorization number
    request: dict[str, Any]
    lines: list[LineDecision]
    received_at: str
    service_date: str
    decided_at: str | None = None

    @property
    def pended(self) -> bool:
        return any(line.review_action == PENDED for line in self.lines)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["lines"] = [line.as_json() for line in self.lines]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Submission:
        return cls(**{**data, "lines": [LineDecision.from_json(x) for x in data["lines"]]})


@dataclass
class SandboxState:
    path: Path | None = None
    submissions: dict[str, Submission] = field(default_factory=dict)
    received: list[dict[str, Any]] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    adjudications: list[dict[str, Any]] = field(default_factory=list)
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    tokens: dict[str, float] = field(default_factory=dict)  # token -> expiry (sandbox clock)
    tokens_issued: int = 0
    next_number: int = 1
    # Claim identifier -> submission keys, kept in step with `submissions` (inquiries stay cheap
    # with thousands of requests on file).
    _by_claim: dict[tuple[str | None, str | None], set[str]] = field(default_factory=dict, repr=False)
    _indexed: set[str] = field(default_factory=set, repr=False)

    PERSISTED = ("received", "duplicates", "adjudications", "subscriptions", "notifications",
                 "next_number")

    @classmethod
    def open(cls, path: Path | None) -> SandboxState:
        state = cls(path=path)
        if path is not None and path.is_file():
            data = json.loads(path.read_text(encoding="utf-8"))
            state.submissions = {k: Submission.from_json(v) for k, v in data["submissions"].items()}
            for name in cls.PERSISTED:
                setattr(state, name, data[name])
        return state

    def save(self) -> None:
        if self.path is None:
            return
        data = {name: getattr(self, name) for name in self.PERSISTED}
        data["submissions"] = {k: s.as_json() for k, s in self.submissions.items()}
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(data), encoding="utf-8")
        temporary.replace(self.path)

    def reset(self) -> None:
        fresh = SandboxState(path=self.path)
        for name in ("submissions", "received", "duplicates", "adjudications", "subscriptions",
                     "notifications", "faults", "tokens", "tokens_issued", "next_number"):
            setattr(self, name, getattr(fresh, name))
        self.save()

    def new_number(self, prefix: str) -> str:
        number = f"{prefix}{self.next_number:06d}"
        self.next_number += 1
        return number

    def take_fault(self, operation: str) -> Fault | None:
        for fault in self.faults:
            if fault.applies_to(operation):
                fault.count -= 1
                if fault.count <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    def _claim_index(self) -> dict[tuple[str | None, str | None], set[str]]:
        keys = set(self.submissions)
        if not self._indexed <= keys:  # something was removed (a reset): start over
            self._by_claim, self._indexed = {}, set()
        for key in keys - self._indexed:
            for identifier in _claim_identifiers(self.submissions[key]):
                self._by_claim.setdefault(identifier, set()).add(key)
        self._indexed = keys
        return self._by_claim

    def find(self, inquiry: dict[str, Any]) -> list[Submission]:
        """The submissions an inquiry matches: by the Claim identifier, else by the Bundle
        identifier, else by patient, provider and requested services together."""
        claim = _claim(inquiry) or {}
        wanted = {(i["system"], i["value"]) for i in identifiers(claim.get("identifier"))}
        by_claim = self._claim_index()
        keys = sorted({key for identifier in wanted for key in by_claim.get(identifier, ())})
        if keys:
            return [self.submissions[key] for key in keys]
        key = bundle_key(inquiry)
        for candidate in (key, key.removesuffix("-inquiry") if key else None):
            if candidate in self.submissions:
                return [self.submissions[candidate]]
        target = _who_and_what(inquiry)
        return [s for s in self.submissions.values()
                if target[0] and target[0] == _who_and_what(s.request)[0]
                and target[1] and target[1] <= _who_and_what(s.request)[1]]


def _claim_identifiers(submission: Any) -> set[tuple[str | None, str | None]]:
    claim = _claim(submission.request) or {}
    return {(i["system"], i["value"]) for i in identifiers(claim.get("identifier"))}


def bundle_key(bundle: dict[str, Any]) -> str | None:
    identifier = bundle.get("identifier")
    if not isinstance(identifier, dict) or not text(identifier.get("value")):
        return None
    return f"{text(identifier.get('system')) or ''}|{text(identifier.get('value'))}"


def _claim(bundle: dict[str, Any]) -> dict[str, Any] | None:
    for entry in objects(bundle.get("entry")):
        resource = entry.get("resource")
        if isinstance(resource, dict) and resource.get("resourceType") == "Claim":
            return resource
    return None


def _who_and_what(bundle: dict[str, Any]) -> tuple[frozenset[str], frozenset[str]]:
    """(patient and provider identifiers, requested service codes) of a request or inquiry."""
    claim = _claim(bundle) or {}
    people: set[str] = set()
    for role in ("patient", "provider"):
        reference = text((claim.get(role) or {}).get("reference"))
        resource = _resolve(bundle, reference) if reference else None
        people |= {f"{role}:{i['system']}|{i['value']}"
                   for i in identifiers((resource or {}).get("identifier"))}
    services = {text((preferred_coding(item.get("productOrService")) or {}).get("code"))
                for item in objects(claim.get("item"))}
    return frozenset(people), frozenset(s for s in services if s)


def _resolve(bundle: dict[str, Any], reference: str) -> dict[str, Any] | None:
    for entry in objects(bundle.get("entry")):
        resource = entry.get("resource")
        if not isinstance(resource, dict):
            continue
        local = f"{resource.get('resourceType')}/{resource.get('id')}"
        if entry.get("fullUrl") == reference or reference == local or reference.endswith("/" + local):
            return resource
    return None
