"""Verdict precedence: blocked > needs_documentation > needs_auth > ok; warn and coding never
change it (check.md § Output)."""

from check_requests import AMPLE_CARE, care, check, codes, good, session

from tracker.rules import SEVERITY

P = "2026-12-10"
THREE_RECENT_ESIS = [good(d, "64483") for d in ("2026-07-13", "2026-09-01", "2026-10-20")]


def test_a_block_outranks_documentation_and_authorization():
    result = check("cigna", session(P, "64483"), history=THREE_RECENT_ESIS)
    assert {"FREQUENCY_LIMIT_REACHED", "STEP_THERAPY_INSUFFICIENT",
            "PRIOR_AUTH_REQUIRED"} <= codes(result)
    assert result.verdict == "blocked"
    assert result.prior_auth_required


def test_missing_documentation_outranks_authorization():
    result = check("cigna", session(P, "64483"))
    assert {"STEP_THERAPY_INSUFFICIENT", "PRIOR_AUTH_REQUIRED"} <= codes(result)
    assert result.verdict == "needs_documentation"


def test_authorization_alone_gives_needs_auth():
    result = check("cigna", session(P, "64483"), conservative_care=AMPLE_CARE)
    assert codes(result) == {"PRIOR_AUTH_REQUIRED"}
    assert result.verdict == "needs_auth"


def test_nothing_in_the_way_gives_ok():
    result = check("medicare", session(P, "64483"), conservative_care=AMPLE_CARE,
                   service_state="FL")
    assert codes(result) == set()
    assert result.verdict == "ok"
    assert result.coding_ok


def test_a_warning_does_not_change_the_verdict():
    result = check("medicare", session(P, "64483"), history=THREE_RECENT_ESIS,
                   service_state="FL")
    assert codes(result) == {"FREQUENCY_LIMIT_APPROACHING"}
    assert result.verdict == "ok"


def test_a_coding_error_does_not_change_the_verdict_but_clears_coding_ok():
    result = check("medicare", session(P, "64483", "77003"),
                   conservative_care=[care("physical_therapy", "2026-09-01", "2026-10-15")],
                   service_state="FL")
    assert codes(result) == {"IMAGING_GUIDANCE_BUNDLED"}
    assert result.verdict == "ok"
    assert not result.coding_ok


def test_a_coding_error_beside_authorization_still_needs_auth():
    result = check("aetna", session(P, "62323-50"))
    assert codes(result) == {"BILATERAL_NOT_ALLOWED", "PRIOR_AUTH_REQUIRED"}
    assert result.verdict == "needs_auth"
    assert not result.coding_ok


def test_every_finding_names_its_rule_and_source():
    result = check("cigna", session(P, "64483", "77003"), history=THREE_RECENT_ESIS)
    assert result.findings
    for f in result.findings:
        assert f.policy and f.source, f


def test_every_finding_code_has_the_severity_of_the_contract_table():
    assert SEVERITY == {
        "FREQUENCY_LIMIT_REACHED": "block", "FREQUENCY_LIMIT_APPROACHING": "warn",
        "INTERVAL_TOO_SHORT": "block", "LEVELS_EXCEEDED": "block", "NOT_COVERED": "block",
        "PREREQUISITE_NOT_MET": "block", "PRIOR_RESPONSE_INSUFFICIENT": "block",
        "PRIOR_RESPONSE_MISSING": "documentation", "STEP_THERAPY_INSUFFICIENT": "documentation",
        "PSYCH_CLEARANCE_MISSING": "documentation", "PSYCH_CLEARANCE_EXPIRED": "documentation",
        "PSYCH_NOT_CLEARED": "block", "PRIOR_AUTH_REQUIRED": "auth",
        "IMAGING_GUIDANCE_BUNDLED": "coding", "ADDON_WITHOUT_PRIMARY": "coding",
        "TRIGGER_POINT_CODE_MISMATCH": "coding", "BILATERAL_NOT_ALLOWED": "coding",
        "DELETED_CODE": "coding", "UNKNOWN_CODE": "coding",
        "SERVICE_STATE_UNKNOWN": "warn", "PRIOR_AUTH_EXEMPT": "warn",
        "DRUG_UNITS_MISMATCH": "coding", "DRUG_MODIFIER_MISSING": "coding",
        "DRUG_MODIFIER_CONFLICT": "coding",
    }
