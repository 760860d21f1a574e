"""Reading a policy file's `programs`: each problem a PolicyError naming file, program and field.

```yaml
programs:
  - id: medicare-opd
    name: Medicare hospital outpatient department prior authorization
    channel: mac                    # mac | model_participant | payer_pas | fax_portal
    validity_days: 120
    one_date_of_service: true
    source: "42 CFR 419.83"
    clocks:
      - effective_to: 2024-12-31
        standard: {business_days: 10}
        expedited: {business_days: 2}
        source: "..."
    exemption: {min_rate_percent: 90, min_requests: 10, period: ["01-01", "09-30"]}
```
"""

from __future__ import annotations

from datetime import date
from typing import Any

from tracker.codes import load_catalog, normalize_code
from tracker.dates import parse_date
from tracker.errors import PolicyError
from tracker.rules.programs import (
    BEGINNING,
    CHANNELS,
    FOREVER,
    UNITS,
    Clock,
    ExemptionReview,
    Program,
    Span,
)
from tracker.rules.session import Exemption

_PROGRAM_FIELDS = {"id", "name", "channel", "clocks", "validity_days", "one_date_of_service",
                   "exemption", "source"}
_CLOCK_FIELDS = {"effective_from", "effective_to", "standard", "expedited", "source"}
_REVIEW_FIELDS = {"min_rate_percent", "min_requests", "period", "per_service", "exempt_months",
                  "source"}


class _Fields:
    def __init__(self, file: str, program: str, raw: dict[str, Any], prefix: str = "") -> None:
        self.file, self.program, self.raw, self.prefix = file, program, raw, prefix

    def fail(self, field: str, message: str) -> PolicyError:
        return PolicyError(self.file, f"program {self.program}" if self.program else None,
                           self.prefix + field, message)

    def only(self, allowed: set[str]) -> None:
        unknown = sorted(set(self.raw) - allowed)
        if unknown:
            raise self.fail(unknown[0], f"not a field here; use: {', '.join(sorted(allowed))}")

    def whole(self, key: str, minimum: int, default: int | None = None) -> int:
        value = self.raw.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(key, f"must be a whole number ≥ {minimum} (got {value!r})")
        return value

    def day(self, key: str, default: date) -> date:
        value = self.raw.get(key)
        if value is None:
            return default
        try:
            return parse_date(str(value))
        except ValueError:
            raise self.fail(key, f"must be a date YYYY-MM-DD (got {value!r})") from None

    def text(self, key: str, default: str = "") -> str:
        value = self.raw.get(key, default)
        if not isinstance(value, str):
            raise self.fail(key, f"must be text (got {value!r})")
        return value.strip()


def _span(fields: _Fields, key: str) -> Span:
    raw = fields.raw.get(key)
    if not isinstance(raw, dict) or len(raw) != 1:
        raise fields.fail(key, f"must be one of {{{': N}, {'.join(UNITS)}: N}} (got {raw!r})")
    unit, amount = next(iter(raw.items()))
    if unit not in UNITS:
        raise fields.fail(f"{key}.{unit}", f"unknown unit; use one of: {', '.join(UNITS)}")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 1:
        raise fields.fail(f"{key}.{unit}", f"must be a whole number ≥ 1 (got {amount!r})")
    return Span(amount, unit)


def _clocks(fields: _Fields) -> tuple[Clock, ...]:
    raw = fields.raw.get("clocks") or []
    if not isinstance(raw, list):
        raise fields.fail("clocks", "must be a list of clock versions")
    clocks: list[Clock] = []
    for index, entry in enumerate(raw):
        inner = _Fields(fields.file, fields.program, entry if isinstance(entry, dict) else {},
                        f"clocks[{index}].")
        if not isinstance(entry, dict):
            raise inner.fail("", "must be a mapping: standard, expedited, effective_from/to")
        inner.only(_CLOCK_FIELDS)
        clock = Clock(standard=_span(inner, "standard"), expedited=_span(inner, "expedited"),
                      effective_from=inner.day("effective_from", BEGINNING),
                      effective_to=inner.day("effective_to", FOREVER),
                      source=inner.text("source"))
        if clock.effective_to < clock.effective_from:
            raise inner.fail("effective_to", "must not be before effective_from")
        if clocks and clock.effective_from <= clocks[-1].effective_to:
            raise inner.fail("effective_from", f"overlaps the clock from "
                             f"{clocks[-1].effective_from}; list versions in order and end the "
                             "earlier one with effective_to")
        clocks.append(clock)
    return tuple(clocks)


def _month_day(fields: _Fields, value: Any) -> tuple[int, int]:
    try:
        month, day = (int(part) for part in str(value).split("-"))
        date(2024, month, day)
    except ValueError:
        raise fields.fail("period", f"each end must be MM-DD (got {value!r})") from None
    return (month, day)


def _review(fields: _Fields) -> ExemptionReview | None:
    raw = fields.raw.get("exemption")
    if raw is None:
        return None
    inner = _Fields(fields.file, fields.program, raw if isinstance(raw, dict) else {},
                    "exemption.")
    if not isinstance(raw, dict):
        raise inner.fail("", "must be a mapping: min_rate_percent, min_requests, period")
    inner.only(_REVIEW_FIELDS)
    rate = raw.get("min_rate_percent")
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 < rate <= 100:
        raise inner.fail("min_rate_percent", f"must be a percentage above 0 (got {rate!r})")
    period = raw.get("period", ["01-01", "12-31"])
    if not isinstance(period, list) or len(period) != 2:
        raise inner.fail("period", "must be [MM-DD, MM-DD], e.g. [\"01-01\", \"09-30\"]")
    start, end = _month_day(inner, period[0]), _month_day(inner, period[1])
    if end < start:
        raise inner.fail("period", "must end after it starts within one calendar year")
    return ExemptionReview(min_rate_percent=float(rate), min_requests=inner.whole("min_requests", 1),
                           period_from=start, period_to=end,
                           per_service=bool(raw.get("per_service", False)),
                           exempt_months=inner.whole("exempt_months", 1, default=12),
                           source=inner.text("source"))


def read_program(file: str, index: int, raw: Any) -> Program:
    if not isinstance(raw, dict):
        raise PolicyError(file, f"program #{index + 1}", None, "each program must be a mapping")
    program_id = raw.get("id")
    if not isinstance(program_id, str) or not program_id.strip():
        raise PolicyError(file, f"program #{index + 1}", "id",
                          "every program needs an id, e.g. medicare-opd")
    fields = _Fields(file, program_id, raw)
    fields.only(_PROGRAM_FIELDS)
    channel = raw.get("channel")
    if channel not in CHANNELS:
        raise fields.fail("channel", f"must be one of: {', '.join(CHANNELS)} (got {channel!r})")
    validity = raw.get("validity_days")
    return Program(id=program_id.strip(), name=fields.text("name") or program_id,
                   channel=channel, clocks=_clocks(fields),
                   validity_days=None if validity is None else fields.whole("validity_days", 1),
                   one_date_of_service=bool(raw.get("one_date_of_service", False)),
                   review=_review(fields), source=fields.text("source"))


def read_programs(file: str, raw: Any, errors: list[PolicyError]) -> dict[str, Program]:
    """The file's programs by id; problems go to `errors`."""
    if raw is None:
        return {}
    if not isinstance(raw, list):
        errors.append(PolicyError(file, None, "programs", "must be a list of programs"))
        return {}
    programs: dict[str, Program] = {}
    for index, entry in enumerate(raw):
        try:
            program = read_program(file, index, entry)
        except PolicyError as err:
            errors.append(err)
            continue
        if program.id in programs:
            errors.append(PolicyError(file, f"program {program.id}", "id",
                                      "two programs share this id"))
        programs[program.id] = program
    return programs


_EXEMPTION_FIELDS = {"program", "codes", "group", "provider_npi", "from", "to", "reference"}


def read_exemptions(file: str, raw: Any, errors: list[PolicyError]) -> tuple[Exemption, ...]:
    """The exemptions a practice lists in a payer file (`exemptions:`), the same fields as the
    check document's; problems go to `errors`."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        errors.append(PolicyError(file, None, "exemptions", "must be a list of exemptions"))
        return ()
    catalog = load_catalog()
    found = []
    for index, entry in enumerate(raw):
        fields = _Fields(file, "", entry if isinstance(entry, dict) else {},
                         f"exemptions[{index}].")
        try:
            if not isinstance(entry, dict):
                raise fields.fail("", "must be a mapping: program, from, to, …")
            fields.only(_EXEMPTION_FIELDS)
            group = entry.get("group")
            families = catalog.group_families(str(group)) if group is not None else ()
            if families is None:
                raise fields.fail("group", f"unknown group {group!r}")
            codes = [normalize_code(str(c)) for c in entry.get("codes") or []]
            unknown = [c for c in codes if c not in catalog.codes]
            if unknown:
                raise fields.fail("codes", f"{unknown[0]} is not in the procedure catalog")
            npi = entry.get("provider_npi")
            if npi is not None and not (isinstance(npi, str) and len(npi) == 10
                                        and npi.isdigit()):
                raise fields.fail("provider_npi", f"must be a 10-digit NPI in quotes (got {npi!r})")
            program = fields.text("program")
            if not program:
                raise fields.fail("program", "name the program the exemption lifts")
            start, end = fields.day("from", BEGINNING), fields.day("to", FOREVER)
            if "from" not in entry or "to" not in entry or end < start:
                raise fields.fail("to", "give from and to (both in force), to not before from")
            found.append(Exemption(program=program, start=start, end=end,
                                   codes=frozenset(codes), families=frozenset(families),
                                   provider_npi=npi, reference=fields.text("reference")))
        except PolicyError as err:
            errors.append(err)
    return tuple(found)
