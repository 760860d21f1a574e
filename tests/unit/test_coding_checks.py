"""The CPT coding checks every payer shares, and the marketing errors of REFERENCE.md §6."""

from dataclasses import replace

import pytest
from check_requests import AMPLE_CARE, PAYERS, check, codes, counter, good, session

from tracker.rules import CodeLine

P = "2026-12-10"

# REFERENCE.md §2: 77003/77012 are never separately billable with 62320-62327, 64479-64484,
# 64490-64495, 64633-64636, 64625, 64451 or 27096. 64481/64482 are not CPT codes (§1 lists
# none), so the range 64479-64484 is the four codes below.
GUIDANCE_INCLUDED = (
    [str(c) for c in range(62320, 62328)] + ["64479", "64480", "64483", "64484"]
    + [str(c) for c in range(64490, 64496)] + [str(c) for c in range(64633, 64637)]
    + ["64625", "64451", "27096"])
NO_GUIDANCE_INCLUDED = ["62270", "62273", "62280", "62281", "62282", "62284", "64510", "64520"]


# --- imaging guidance ---------------------------------------------------------------------------

@pytest.mark.parametrize("code", GUIDANCE_INCLUDED)
def test_fluoroscopy_77003_with_a_code_that_includes_guidance_is_bundled(code):
    result = check("medicare", session(P, code, "77003"))
    assert "IMAGING_GUIDANCE_BUNDLED" in codes(result)
    assert not result.coding_ok


@pytest.mark.parametrize("code", ["64483", "62321", "62322", "27096"])
def test_ct_guidance_77012_with_a_code_that_includes_guidance_is_bundled(code):
    assert "IMAGING_GUIDANCE_BUNDLED" in codes(check("aetna", session(P, code, "77012")))


@pytest.mark.parametrize("code", NO_GUIDANCE_INCLUDED)
def test_fluoroscopy_77003_with_a_code_without_guidance_is_not_flagged(code):
    result = check("medicare", session(P, code, "77003"))
    assert "IMAGING_GUIDANCE_BUNDLED" not in codes(result)
    assert result.coding_ok


def test_fluoroscopy_bundling_applies_under_every_payer():
    for payer in PAYERS:
        assert "IMAGING_GUIDANCE_BUNDLED" in codes(check(payer, session(P, "64483", "77003"))), payer


# --- add-on codes -------------------------------------------------------------------------------

@pytest.mark.parametrize("addon", ["64480", "64484", "64491", "64492", "64494", "64495", "64634",
                                   "64636"])
def test_addon_without_its_primary_is_a_coding_error(addon):
    result = check("medicare", session(P, addon))
    assert "ADDON_WITHOUT_PRIMARY" in codes(result)
    assert not result.coding_ok


def test_addon_with_the_primary_of_another_region_is_a_coding_error():
    assert "ADDON_WITHOUT_PRIMARY" in codes(check("medicare", session(P, "64479", "64484")))


@pytest.mark.parametrize("pair", [("64483", "64484"), ("64479", "64480"), ("64490", "64491"),
                                  ("64493", "64494"), ("64633", "64634"), ("64635", "64636")])
def test_addon_with_its_primary_is_fine(pair):
    result = check("aetna", session(P, *pair, intent="diagnostic"))
    assert "ADDON_WITHOUT_PRIMARY" not in codes(result)


def test_addon_written_with_a_plus_sign_is_recognised():
    result = check("medicare", session(P, "64483", "+64484"), conservative_care=AMPLE_CARE)
    assert result.procedures[0]["levels"] == 2
    assert result.coding_ok


# --- trigger points -----------------------------------------------------------------------------

def test_20552_for_three_muscles_is_a_coding_error():
    assert "TRIGGER_POINT_CODE_MISMATCH" in codes(check("aetna", session(P, "20552", muscles=3)))


def test_20553_for_two_muscles_is_a_coding_error():
    assert "TRIGGER_POINT_CODE_MISMATCH" in codes(check("aetna", session(P, "20553", muscles=2)))


def test_20552_and_20553_in_one_session_is_a_coding_error():
    result = check("aetna", session(P, "20552", "20553", muscles=4))
    assert "TRIGGER_POINT_CODE_MISMATCH" in codes(result)


@pytest.mark.parametrize(("code", "muscles"), [("20552", 1), ("20552", 2), ("20553", 3),
                                                ("20553", 6)])
def test_trigger_point_code_matching_the_muscles_is_fine(code, muscles):
    result = check("aetna", session(P, code, muscles=muscles))
    assert result.coding_ok


# --- bilateral interlaminar ---------------------------------------------------------------------

@pytest.mark.parametrize("code", [str(c) for c in range(62320, 62328)])
def test_modifier_50_on_an_interlaminar_or_catheter_code_is_a_coding_error(code):
    assert "BILATERAL_NOT_ALLOWED" in codes(check("aetna", session(P, f"{code}-50")))


@pytest.mark.parametrize("code", ["64483", "64479", "64493", "64635", "27096"])
def test_modifier_50_where_bilateral_is_allowed_is_fine(code):
    assert "BILATERAL_NOT_ALLOWED" not in codes(check("aetna", session(P, f"{code}-50")))


# --- deleted and malformed codes ----------------------------------------------------------------

@pytest.mark.parametrize("drug", ["J1020", "J1030", "J1040"])
def test_deleted_methylprednisolone_code_after_april_2024_is_a_coding_error(drug):
    result = check("medicare", session("2024-04-02", "64483", drug), conservative_care=[])
    assert "DELETED_CODE" in codes(result)
    assert "J1010" in next(f.message for f in result.findings if f.code == "DELETED_CODE")


@pytest.mark.parametrize("drug", ["J1030", "J1040"])
def test_methylprednisolone_code_before_its_deletion_is_fine(drug):
    result = check("medicare", session("2024-03-31", "64483", drug))
    assert "DELETED_CODE" not in codes(result)


def test_j1010_is_the_current_methylprednisolone_code():
    result = check("medicare", session(P, "64483", "J1010x80"), conservative_care=AMPLE_CARE)
    assert result.coding_ok
    assert result.verdict == "ok"


@pytest.mark.parametrize("bad", ["6448", "644833", "ABCDE", "64483-50", "W1234", "6448x"])
def test_a_malformed_code_is_unknown(bad):
    scheduled = session(P, "64483")
    scheduled = replace(scheduled, codes=scheduled.codes + (CodeLine(bad),))
    result = check("medicare", scheduled, conservative_care=AMPLE_CARE)
    assert "UNKNOWN_CODE" in codes(result)
    assert not result.coding_ok
    assert result.verdict == "ok"


@pytest.mark.parametrize("code", ["99213", "0213T", "G0283", "j3301"])
def test_a_well_formed_code_outside_the_catalog_is_ignored(code):
    result = check("medicare", session(P, "64483", code), conservative_care=AMPLE_CARE)
    assert result.coding_ok
    assert len(result.procedures) == 1


# --- REFERENCE.md §6: what the marketing material gets wrong ------------------------------------

def test_64625_is_sacroiliac_rfa_not_lumbar_facet_rfa():
    result = check("aetna", session(P, "64625"))
    assert [(p["family"], p["region"]) for p in result.procedures] == [("si_rfa", "sacroiliac")]
    assert all(c.region != "lumbar_sacral" for c in result.counters)


def test_64625_does_not_count_against_the_lumbar_facet_rfa_limit():
    history = [good("2026-03-02", "64625"), good("2026-08-03", "64625")]
    blocks = [session(d, "64493", intent="diagnostic", relief=90)
              for d in ("2026-01-05", "2026-02-02")]
    result = check("medicare", session(P, "64635"), history=blocks + history)
    assert counter(result, "medicare-facet-rfa-frequency").used == 0
    assert "FREQUENCY_LIMIT_REACHED" not in codes(result)


@pytest.mark.parametrize("code", ["64633", "64634"])
def test_64633_and_64634_are_cervical_thoracic_facet_rfa(code):
    result = check("aetna", session(P, "64633", code) if code == "64634" else session(P, code))
    assert [(p["family"], p["region"]) for p in result.procedures] == [
        ("facet_rfa", "cervical_thoracic")]


def test_rfa_counts_facet_joints_through_addon_units():
    result = check("aetna", session(P, "64633", "64634x2"))
    assert result.procedures[0]["levels"] == 3


def test_bilateral_rfa_is_modifier_50_and_adds_no_joint():
    result = check("medicare", session(P, "64635-50"),
                   history=[good("2026-03-02", "64635")])
    assert result.procedures[0]["levels"] == 1
    assert "BILATERAL_NOT_ALLOWED" not in codes(result)
    assert "LEVELS_EXCEEDED" not in codes(result)


def test_62321_is_the_cervical_thoracic_interlaminar_code_and_62323_the_lumbar_one():
    cervical = check("aetna", session(P, "62321"))
    lumbar = check("aetna", session(P, "62323"))
    assert [(p["family"], p["region"]) for p in cervical.procedures] == [
        ("esi_interlaminar", "cervical_thoracic")]
    assert [(p["family"], p["region"]) for p in lumbar.procedures] == [
        ("esi_interlaminar", "lumbar_sacral")]


def test_62323_beside_62321_is_a_second_region_not_a_second_level():
    result = check("aetna", session(P, "62321", "62323"))
    assert sorted((p["region"], p["levels"]) for p in result.procedures) == [
        ("cervical_thoracic", 1), ("lumbar_sacral", 1)]


def test_interlaminar_codes_have_no_addon_levels():
    result = check("medicare", session(P, "62321x3"), conservative_care=AMPLE_CARE)
    assert result.procedures[0]["levels"] == 1
    assert "ADDON_WITHOUT_PRIMARY" not in codes(result)


def test_fluoroscopy_with_a_spinal_injection_is_never_billable_separately():
    result = check("medicare", session(P, "62323", "77003"), conservative_care=AMPLE_CARE)
    assert "IMAGING_GUIDANCE_BUNDLED" in codes(result)


def test_fluoroscopy_with_a_non_guided_procedure_is_billable():
    assert check("medicare", session(P, "62270", "77003")).coding_ok


@pytest.mark.parametrize("drug", ["J1030", "J1040"])
def test_depo_medrol_is_not_j1030_or_j1040_after_april_2024(drug):
    result = check("medicare", session(P, "62323", drug), conservative_care=AMPLE_CARE)
    assert "DELETED_CODE" in codes(result)


def test_depo_medrol_is_j1010():
    result = check("medicare", session(P, "62323", "J1010x40"), conservative_care=AMPLE_CARE)
    assert "DELETED_CODE" not in codes(result)
    assert result.coding_ok
