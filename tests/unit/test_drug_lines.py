"""Drug lines billed right: units from the dose and the code's billing unit, and the JW/JZ waste
modifiers on single-dose containers (check.md; REFERENCE.md §3), through the check document."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tracker.errors import InputError
from tracker.visits.checking import check

TFESI = "64483"


def _document(*drug_lines: dict[str, Any], payer: str = "medicare", on: str = "2026-12-10",
              as_of: str | None = None) -> dict[str, Any]:
    return {"as_of": as_of or on, "payer": payer,
            "scheduled": {"date": on, "codes": [TFESI, *drug_lines]}}


def _codes(document: dict[str, Any]) -> list[str]:
    result = check(document, today=date.fromisoformat(document["as_of"]))
    return [f["code"] for f in result["findings"]]


def _drug(code: str = "J1010", units: int = 40, **fields: Any) -> dict[str, Any]:
    return {"code": code, "units": units, **fields}


# --- units ------------------------------------------------------------------------------------

def test_40_mg_of_j1010_is_40_units() -> None:
    assert "DRUG_UNITS_MISMATCH" not in _codes(_document(_drug(units=40, dose_mg=40)))


def test_41_mg_of_j1010_is_41_units_not_40() -> None:
    assert "DRUG_UNITS_MISMATCH" in _codes(_document(_drug(units=40, dose_mg=41)))
    assert "DRUG_UNITS_MISMATCH" not in _codes(_document(_drug(units=41, dose_mg=41)))


def test_45_mg_of_j3301_is_5_units_of_10_mg_rounded_up() -> None:
    assert "DRUG_UNITS_MISMATCH" not in _codes(_document(_drug("J3301", units=5, dose_mg=45)))
    assert "DRUG_UNITS_MISMATCH" in _codes(_document(_drug("J3301", units=4, dose_mg=45)))
    assert "DRUG_UNITS_MISMATCH" in _codes(_document(_drug("J3301", units=45, dose_mg=45)))


def test_a_mismatch_names_the_code_the_dose_and_the_right_units() -> None:
    document = _document(_drug("J3301", units=40, dose_mg=40))
    result = check(document, today=date(2026, 12, 10))
    finding = next(f for f in result["findings"] if f["code"] == "DRUG_UNITS_MISMATCH")
    assert "J3301" in finding["message"] and "40 mg given is 4 units" in finding["message"]
    assert finding["severity"] == "coding" and result["coding_ok"] is False
    assert finding["policy"] == "hcpcs-drug-billing-units" and finding["source"]


def test_units_are_not_checked_without_a_dose() -> None:
    assert "DRUG_UNITS_MISMATCH" not in _codes(_document(_drug(units=7)))


def test_units_mismatch_applies_to_every_payer() -> None:
    for payer in ("aetna", "cigna", "unitedhealthcare"):
        assert "DRUG_UNITS_MISMATCH" in _codes(_document(_drug(units=4, dose_mg=40), payer=payer))


def test_the_jw_line_bills_the_discarded_amount_in_billing_units() -> None:
    given = _drug("J3301", units=4, dose_mg=40, wasted_mg=10, container="single_dose")
    right = _drug("J3301", units=1, modifiers=["JW"])
    wrong = _drug("J3301", units=10, modifiers=["JW"])
    assert "DRUG_UNITS_MISMATCH" not in _codes(_document(given, right))
    assert "DRUG_UNITS_MISMATCH" in _codes(_document(given, wrong))


# --- the waste modifiers ------------------------------------------------------------------------

def test_jz_missing_on_a_single_dose_vial_from_2023_07_01() -> None:
    line = _drug(units=40, dose_mg=40, container="single_dose")
    assert "DRUG_MODIFIER_MISSING" in _codes(_document(line, on="2023-07-01"))


def test_jz_is_not_required_on_2023_06_30() -> None:
    line = _drug(units=40, dose_mg=40, container="single_dose")
    assert "DRUG_MODIFIER_MISSING" not in _codes(_document(line, on="2023-06-30"))


def test_jz_on_a_single_dose_vial_with_nothing_discarded_is_right() -> None:
    line = _drug(units=40, dose_mg=40, container="single_dose", modifiers=["JZ"])
    found = _codes(_document(line))
    assert "DRUG_MODIFIER_MISSING" not in found and "DRUG_MODIFIER_CONFLICT" not in found


def test_a_discarded_amount_without_its_jw_line_is_missing_a_modifier() -> None:
    line = _drug(units=40, dose_mg=40, wasted_mg=40, container="single_dose")
    document = _document(line)
    assert "DRUG_MODIFIER_MISSING" in _codes(document)
    finding = next(f for f in check(document, today=date(2026, 12, 10))["findings"]
                   if f["code"] == "DRUG_MODIFIER_MISSING")
    assert "40 mg" in finding["message"] and "JW" in finding["message"]
    assert finding["policy"] == "medicare-drug-waste-modifiers"


def test_a_discarded_amount_with_its_jw_line_is_right() -> None:
    given = _drug(units=40, dose_mg=40, wasted_mg=40, container="single_dose")
    waste = _drug(units=40, modifiers=["JW"])
    found = _codes(_document(given, waste))
    assert not {"DRUG_MODIFIER_MISSING", "DRUG_MODIFIER_CONFLICT", "DRUG_UNITS_MISMATCH"} & set(found)


def test_jw_with_jz_on_the_same_drug_is_a_conflict() -> None:
    given = _drug(units=40, dose_mg=40, wasted_mg=40, container="single_dose", modifiers=["JZ"])
    waste = _drug(units=40, modifiers=["JW"])
    assert "DRUG_MODIFIER_CONFLICT" in _codes(_document(given, waste))


def test_jz_on_a_multi_dose_vial_is_a_conflict() -> None:
    line = _drug(units=40, dose_mg=40, container="multi_dose", modifiers=["JZ"])
    assert "DRUG_MODIFIER_CONFLICT" in _codes(_document(line))


def test_a_multi_dose_vial_needs_no_waste_modifier() -> None:
    line = _drug(units=40, dose_mg=40, container="multi_dose")
    found = _codes(_document(line))
    assert "DRUG_MODIFIER_MISSING" not in found and "DRUG_MODIFIER_CONFLICT" not in found


def test_no_waste_modifier_finding_when_the_container_is_not_given() -> None:
    for line in (_drug(units=40, dose_mg=40), _drug(units=40, dose_mg=40, modifiers=["JZ"]),
                 _drug(units=40, dose_mg=40, wasted_mg=5)):
        found = _codes(_document(line))
        assert "DRUG_MODIFIER_MISSING" not in found and "DRUG_MODIFIER_CONFLICT" not in found


def test_a_missing_waste_modifier_is_medicares_rule_only() -> None:
    line = _drug(units=40, dose_mg=40, container="single_dose")
    for payer in ("aetna", "cigna", "unitedhealthcare"):
        assert "DRUG_MODIFIER_MISSING" not in _codes(_document(line, payer=payer))


def test_a_conflict_applies_to_every_payer() -> None:
    line = _drug(units=40, dose_mg=40, container="multi_dose", modifiers=["JW"])
    for payer in ("aetna", "cigna", "unitedhealthcare"):
        assert "DRUG_MODIFIER_CONFLICT" in _codes(_document(line, payer=payer))


def test_drug_findings_do_not_change_the_verdict() -> None:
    line = _drug(units=4, dose_mg=40, container="single_dose")
    result = check(_document(line, payer="aetna"), today=date(2026, 12, 10))
    plain = check(_document(_drug(units=40), payer="aetna"), today=date(2026, 12, 10))
    assert result["verdict"] == plain["verdict"] and result["coding_ok"] is False


# --- the document -------------------------------------------------------------------------------

@pytest.mark.parametrize(("field", "value"), [
    ("dose_mg", -1), ("dose_mg", "40"), ("wasted_mg", -0.5), ("container", "vial"),
    ("ndc", "123"), ("ndc", 12345678901), ("ndc", "0000930730A"),
])
def test_a_bad_drug_field_names_its_path(field: str, value: Any) -> None:
    document = _document(_drug(**{field: value}))
    with pytest.raises(InputError) as refused:
        check(document, today=date(2026, 12, 10))
    assert refused.value.path == f"scheduled.codes[1].{field}"


def test_drug_fields_on_a_procedure_code_are_refused() -> None:
    document = _document({"code": "64484", "dose_mg": 40})
    with pytest.raises(InputError) as refused:
        check(document, today=date(2026, 12, 10))
    assert refused.value.path == "scheduled.codes[1].dose_mg"


def test_an_ndc_is_accepted_with_or_without_its_hyphens() -> None:
    for ndc in ("00009-3073-03", "00009307303"):
        assert "DRUG_UNITS_MISMATCH" not in _codes(_document(_drug(dose_mg=40, ndc=ndc)))
