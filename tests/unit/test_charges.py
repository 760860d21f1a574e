"""Charge capture's pure core and the fee schedule's lookups: what a performed session documented
but did not bill, and what each code is expected to bring in."""

from __future__ import annotations

from datetime import date

from tracker.codes import load_catalog
from tracker.money.fee_schedule import ANY_PAYER, Fee, FeeSchedule
from tracker.rules.charges import Documentation, DrugGiven, missed_lines
from tracker.rules.session import CodeLine

CATALOG = load_catalog()


def _missed(codes: list[CodeLine], **documented: object) -> list[tuple[str, str, int, str | None]]:
    found = missed_lines(codes, Documentation(**documented), CATALOG)  # type: ignore[arg-type]
    return [(m.kind, m.code, m.units, m.instead_of) for m in found]


def test_fluoroscopy_with_a_code_that_includes_guidance_misses_nothing() -> None:
    assert _missed([CodeLine("64483"), CodeLine("J1010", 40)], guidance="fluoroscopy",
                   drugs=(DrugGiven("J1010", 40),)) == []


def test_fluoroscopy_with_a_stimulator_trial_misses_77003() -> None:
    assert _missed([CodeLine("63650")], guidance="fluoroscopy") == [
        ("guidance_not_billed", "77003", 1, None)]


def test_guidance_already_billed_misses_nothing() -> None:
    assert _missed([CodeLine("63650"), CodeLine("77003")], guidance="fluoroscopy") == []


def test_ultrasound_and_fluoroscopy_with_trigger_points_are_76942_and_77002() -> None:
    assert _missed([CodeLine("20552")], guidance="ultrasound", muscles=2) == [
        ("guidance_not_billed", "76942", 1, None)]
    assert _missed([CodeLine("20552")], guidance="fluoroscopy", muscles=2) == [
        ("guidance_not_billed", "77002", 1, None)]


def test_fluoroscopy_with_the_without_imaging_interlaminar_code_is_the_with_imaging_code() -> None:
    assert _missed([CodeLine("62322")], guidance="fluoroscopy") == [
        ("guidance_not_billed", "62323", 1, "62322")]
    assert _missed([CodeLine("62322")], guidance="none") == []


def test_a_drug_given_without_its_line_misses_its_units() -> None:
    # J1010 is billed per 1 mg, J3301 per 10 mg: 80 mg and 45 mg are 80 and 5 units
    assert _missed([CodeLine("64483")],
                   drugs=(DrugGiven("J1010", 80), DrugGiven("J3301", 45))) == [
        ("drug_not_billed", "J1010", 80, None), ("drug_not_billed", "J3301", 5, None)]


def test_a_drug_line_short_of_the_dose_misses_the_difference() -> None:
    assert _missed([CodeLine("64483"), CodeLine("J1010", 40)],
                   drugs=(DrugGiven("J1010", 80),)) == [("drug_not_billed", "J1010", 40, None)]


def test_trigger_point_code_follows_the_muscles_injected() -> None:
    assert _missed([CodeLine("20552")], muscles=4) == [
        ("trigger_point_muscles", "20553", 1, "20552")]
    assert _missed([CodeLine("20553")], muscles=2) == [
        ("trigger_point_muscles", "20552", 1, "20553")]
    assert _missed([CodeLine("20553")], muscles=3) == []


def test_a_discarded_amount_without_its_jw_line_misses_the_waste_units() -> None:
    line = CodeLine("J1010", 40, dose_mg=40, wasted_mg=40, container="single_dose")
    assert _missed([CodeLine("64483"), line]) == [("waste_not_billed", "J1010", 40, None)]
    assert _missed([CodeLine("64483"), line, CodeLine("J1010", 40, ("JW",))]) == []
    assert _missed([CodeLine("64483"), line._replace(container="multi_dose")]) == []
    assert _missed([CodeLine("64483"), CodeLine("J1010", 40)],
                   drugs=(DrugGiven("J1010", 40, wasted_mg=40),)) == [
        ("waste_not_billed", "J1010", 40, None)]


SCHEDULE = FeeSchedule((
    Fee(ANY_PAYER, "64483", 27000, date(2020, 1, 1), date(2025, 12, 31)),
    Fee(ANY_PAYER, "64483", 28500, date(2026, 1, 1)),
    Fee("medicare", "64483", 25000, date(2026, 1, 1)),
    Fee(ANY_PAYER, "J1010", 10, date(2020, 1, 1)),
    Fee(ANY_PAYER, "99213", 9000, date(2020, 1, 1), per_unit=False),
))


def test_a_payers_own_fee_wins_and_fees_are_effective_dated() -> None:
    fee = SCHEDULE.expected_fee("aetna", "64483", date(2026, 3, 1))
    assert fee is not None and fee.amount_cents == 28500
    fee = SCHEDULE.expected_fee("aetna", "64483", date(2025, 3, 1))
    assert fee is not None and fee.amount_cents == 27000
    fee = SCHEDULE.expected_fee("medicare", "+64483", date(2026, 3, 1))
    assert fee is not None and fee.amount_cents == 25000
    assert SCHEDULE.expected_fee("medicare", "64483", date(2019, 3, 1)) is None


def test_lines_are_priced_per_unit_and_codes_without_a_fee_are_named_not_zero() -> None:
    expected = SCHEDULE.expected(
        "aetna", [("64483", 1), ("64484", 2), ("J1010", 40), ("99213", 2)], date(2026, 3, 1))
    assert expected.amount_cents == 28500 + 40 * 10 + 9000
    assert expected.unpriced == ("64484",)


def test_a_bilateral_line_of_a_bilateral_code_is_paid_at_150_percent_to_the_cent() -> None:
    """64483-50 at $285 is $427.50; at $245.01 it is $367.515, $367.52 (half a cent up);
    20552-50 is not a bilateral-payment code: $62; 64483 without 50: $285."""
    schedule = FeeSchedule((Fee(ANY_PAYER, "64483", 28500, date(2026, 1, 1)),
                            Fee("aetna", "64483", 24501, date(2026, 1, 1)),
                            Fee(ANY_PAYER, "20552", 6200, date(2026, 1, 1))))
    on = date(2026, 3, 1)
    assert load_catalog().bilateral_payment.percent == 150
    assert schedule.expected("cigna", [CodeLine("64483", 1, ("50",))], on).amount_cents == 42750
    assert schedule.expected("aetna", [CodeLine("64483", 1, ("50",))], on).amount_cents == 36752
    assert schedule.expected("cigna", [CodeLine("20552", 1, ("50",))], on).amount_cents == 6200
    assert schedule.expected("cigna", [CodeLine("64483", 1, ("RT",))], on).amount_cents == 28500
