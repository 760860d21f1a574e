"""Policies as data: custom rule files, practice overrides, effective dating and validation."""

from datetime import date
from pathlib import Path

import pytest
from check_requests import AMPLE_CARE, check, codes, counter, finding, good, session

from tracker.errors import PolicyErrors
from tracker.rules import load_policies
from tracker.rules.policy_files import shipped_policy_dir

TEST_PAYER_HEAD = "payer: testpayer\nname: Test payer\nrules:\n"


def policy_dir(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "policies"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def custom_policy(tmp_path: Path, rules: str):
    return load_policies([policy_dir(tmp_path, {"testpayer.yaml": TEST_PAYER_HEAD + rules})])[
        "testpayer"]


# --- calendar-year and short rolling windows (no shipped policy uses them) ----------------------

CALENDAR_YEAR_LIMIT = """
  - id: test-esi-calendar-year
    type: frequency
    group: esi
    window: {calendar_year: true}
    limit: 2
    source: "test"
    confidence: practice-reported
"""


def test_third_esi_in_a_calendar_year_is_blocked(tmp_path):
    policy = custom_policy(tmp_path, CALENDAR_YEAR_LIMIT)
    result = check("testpayer", session("2026-12-31", "64483"), policy=policy,
                   history=[good("2026-01-02", "64483"), good("2026-06-01", "62323")])
    assert finding(result, "FREQUENCY_LIMIT_REACHED") == ["test-esi-calendar-year"]
    c = counter(result, "test-esi-calendar-year")
    assert (c.used, c.limit, c.window.as_json()) == (2, 2, {"kind": "calendar_year"})
    assert result.next_eligible_date == date(2027, 1, 1)


def test_last_year_sessions_do_not_count_in_a_calendar_year_window(tmp_path):
    policy = custom_policy(tmp_path, CALENDAR_YEAR_LIMIT)
    result = check("testpayer", session("2026-01-01", "64483"), policy=policy,
                   history=[good("2025-12-30", "64483"), good("2025-12-31", "62323")])
    assert counter(result, "test-esi-calendar-year").used == 0
    assert "FREQUENCY_LIMIT_REACHED" not in codes(result)


ONE_MONTH_LIMIT = """
  - id: test-esi-one-month
    type: frequency
    group: esi
    window: {rolling_months: 1}
    limit: 1
    source: "test"
    confidence: C
"""


def test_a_session_exactly_one_clamped_month_before_is_outside_the_window(tmp_path):
    # 2026-03-31 - 1 month = 2026-02-28
    policy = custom_policy(tmp_path, ONE_MONTH_LIMIT)
    result = check("testpayer", session("2026-03-31", "64483"), policy=policy,
                   history=[good("2026-02-28", "64483")])
    assert counter(result, "test-esi-one-month").used == 0
    assert "FREQUENCY_LIMIT_REACHED" not in codes(result)


def test_a_session_a_day_after_the_clamped_month_edge_is_inside_the_window(tmp_path):
    policy = custom_policy(tmp_path, ONE_MONTH_LIMIT)
    result = check("testpayer", session("2026-03-31", "64483"), policy=policy,
                   history=[good("2026-03-01", "64483")])
    assert counter(result, "test-esi-one-month").used == 1
    assert "FREQUENCY_LIMIT_REACHED" in codes(result)


def test_next_eligible_date_waits_for_the_clamped_month_to_pass(tmp_path):
    # a session on 01-31 is inside the window of 02-28 (02-28 - 1 month = 01-28) and leaves it on
    # 03-01 (03-01 - 1 month = 02-01)
    policy = custom_policy(tmp_path, ONE_MONTH_LIMIT)
    result = check("testpayer", session("2026-02-15", "64483"), policy=policy,
                   history=[good("2026-01-31", "64483")])
    assert "FREQUENCY_LIMIT_REACHED" in codes(result)
    assert result.next_eligible_date == date(2026, 3, 1)


def test_a_rolling_12_month_window_from_february_29_2024_clamps_to_february_28(tmp_path):
    policy = custom_policy(tmp_path, ONE_MONTH_LIMIT.replace("rolling_months: 1",
                                                             "rolling_months: 12"))
    out = check("testpayer", session("2025-02-28", "64483"), policy=policy,
                history=[good("2024-02-28", "64483")])
    in_ = check("testpayer", session("2025-02-28", "64483"), policy=policy,
                history=[good("2024-02-29", "64483")])
    assert counter(out, "test-esi-one-month").used == 0
    assert counter(in_, "test-esi-one-month").used == 1


def test_a_days_interval_rule_counts_both_sides(tmp_path):
    policy = custom_policy(tmp_path, """
  - id: test-trigger-interval
    type: interval
    group: trigger_point
    min_days: 30
    source: "test"
    confidence: C
""")
    before = check("testpayer", session("2026-06-15", "20552", muscles=1), policy=policy,
                   history=[session("2026-05-17", "20552")])
    after = check("testpayer", session("2026-06-15", "20552", muscles=1), policy=policy,
                  other_scheduled=[session("2026-07-14", "20552")])
    clear = check("testpayer", session("2026-06-15", "20552", muscles=1), policy=policy,
                  history=[session("2026-05-16", "20552")],
                  other_scheduled=[session("2026-07-15", "20552")])
    assert finding(before, "INTERVAL_TOO_SHORT") == ["test-trigger-interval"]
    assert finding(after, "INTERVAL_TOO_SHORT") == ["test-trigger-interval"]
    assert "INTERVAL_TOO_SHORT" not in codes(clear)


def test_prior_auth_without_places_applies_everywhere_and_with_places_only_there(tmp_path):
    policy = custom_policy(tmp_path, """
  - id: test-pa-everywhere
    type: prior_auth
    group: trigger_point
    source: "test"
    confidence: C
  - id: test-pa-asc
    type: prior_auth
    group: esi
    places_of_service: ["24"]
    source: "test"
    confidence: C
""")
    trigger = check("testpayer", session("2026-06-15", "20552", place="11"), policy=policy)
    esi_office = check("testpayer", session("2026-06-15", "64483", place="11"), policy=policy)
    esi_asc = check("testpayer", session("2026-06-15", "64483", place="24"), policy=policy)
    assert finding(trigger, "PRIOR_AUTH_REQUIRED") == ["test-pa-everywhere"]
    assert not esi_office.prior_auth_required
    assert finding(esi_asc, "PRIOR_AUTH_REQUIRED") == ["test-pa-asc"]


# --- effective dating ---------------------------------------------------------------------------

TWO_VERSIONS = """
  - id: test-esi-frequency
    type: frequency
    group: esi
    window: {rolling_months: 12}
    limit: 1
    effective_to: 2026-06-30
    source: "old bulletin"
    confidence: C
  - id: test-esi-frequency
    type: frequency
    group: esi
    window: {rolling_months: 12}
    limit: 3
    effective_from: 2026-07-01
    source: "new bulletin"
    confidence: C
"""


def test_the_rule_version_in_force_on_the_session_date_applies(tmp_path):
    policy = custom_policy(tmp_path, TWO_VERSIONS)
    history = [good("2026-03-02", "64483")]
    old = check("testpayer", session("2026-06-30", "64483"), policy=policy, history=history)
    new = check("testpayer", session("2026-07-01", "64483"), policy=policy, history=history)
    assert counter(old, "test-esi-frequency").limit == 1
    assert "FREQUENCY_LIMIT_REACHED" in codes(old)
    assert counter(new, "test-esi-frequency").limit == 3
    assert "FREQUENCY_LIMIT_REACHED" not in codes(new)


def test_next_eligible_date_is_the_day_a_looser_version_takes_effect(tmp_path):
    policy = custom_policy(tmp_path, TWO_VERSIONS)
    result = check("testpayer", session("2026-04-01", "64483"), policy=policy,
                   history=[good("2026-03-02", "64483")])
    assert result.next_eligible_date == date(2026, 7, 1)


def test_a_rule_not_yet_in_force_does_not_apply(tmp_path):
    policy = custom_policy(tmp_path, """
  - id: test-future-not-covered
    type: not_covered
    codes: ["27096"]
    effective_from: 2027-01-01
    source: "test"
    confidence: C
""")
    assert "NOT_COVERED" not in codes(check("testpayer", session("2026-12-31", "27096"),
                                            policy=policy))
    assert "NOT_COVERED" in codes(check("testpayer", session("2027-01-01", "27096"),
                                        policy=policy))


# --- practice overrides through PAINAUTH_POLICY_DIRS ---------------------------------------------

THREE_ESIS = [good(d, "62323") for d in ("2026-02-16", "2026-05-18", "2026-09-21")]


def test_a_practice_file_replaces_a_shipped_rule_by_id(tmp_path, monkeypatch):
    folder = policy_dir(tmp_path, {"aetna-overrides.yaml": """
payer: aetna
rules:
  - id: aetna-esi-frequency
    type: frequency
    group: esi
    window: {rolling_months: 12}
    limit: 5
    source: "practice contract with Aetna"
    confidence: practice-reported
"""})
    monkeypatch.setenv("PAINAUTH_POLICY_DIRS", str(folder))
    aetna = load_policies()["aetna"]
    result = check("aetna", session("2026-12-14", "62323"), policy=aetna, history=THREE_ESIS)
    c = counter(result, "aetna-esi-frequency")
    assert (c.used, c.limit) == (3, 5)
    assert "FREQUENCY_LIMIT_REACHED" not in codes(result)
    assert "PRIOR_AUTH_REQUIRED" in codes(result)  # the other shipped rules stay


def test_a_practice_file_withdraws_a_shipped_rule_with_enabled_false(tmp_path, monkeypatch):
    folder = policy_dir(tmp_path, {"aetna-overrides.yaml": """
payer: aetna
rules:
  - id: aetna-prior-auth
    type: prior_auth
    enabled: false
"""})
    monkeypatch.setenv("PAINAUTH_POLICY_DIRS", str(folder))
    aetna = load_policies()["aetna"]
    result = check("aetna", session("2026-12-10", "62323"), policy=aetna)
    assert not result.prior_auth_required
    assert result.verdict == "ok"


def test_a_practice_file_withdraws_a_shipped_rule_by_id_alone(tmp_path, monkeypatch):
    folder = policy_dir(tmp_path, {"aetna-overrides.yaml": """
payer: aetna
rules:
  - id: aetna-prior-auth
    enabled: false
"""})
    monkeypatch.setenv("PAINAUTH_POLICY_DIRS", str(folder))
    aetna = load_policies()["aetna"]
    assert not check("aetna", session("2026-12-10", "62323"), policy=aetna).prior_auth_required


def test_a_practice_file_for_a_new_payer_adds_the_payer(tmp_path, monkeypatch):
    folder = policy_dir(tmp_path, {"humana.yaml": """
payer: humana
name: Humana
rules:
  - id: humana-esi-frequency
    type: frequency
    group: esi
    window: {rolling_months: 12}
    limit: 2
    source: "Humana medical coverage policy"
    confidence: B
"""})
    monkeypatch.setenv("PAINAUTH_POLICY_DIRS", str(folder))
    policies = load_policies()
    assert {"medicare", "aetna", "cigna", "unitedhealthcare", "humana"} <= set(policies)
    result = check("humana", session("2026-12-14", "62323"), policy=policies["humana"],
                   history=THREE_ESIS[1:])
    assert finding(result, "FREQUENCY_LIMIT_REACHED") == ["humana-esi-frequency"]


def test_a_practice_file_with_replace_true_replaces_the_payer_whole(tmp_path, monkeypatch):
    folder = policy_dir(tmp_path, {"aetna.yaml": """
payer: aetna
replace: true
rules:
  - id: aetna-only-rule
    type: levels
    group: esi_transforaminal
    max_levels: 1
    source: "test"
    confidence: C
"""})
    monkeypatch.setenv("PAINAUTH_POLICY_DIRS", str(folder))
    aetna = load_policies()["aetna"]
    result = check("aetna", session("2026-12-14", "64483", "64484"), policy=aetna,
                   history=THREE_ESIS)
    assert codes(result) == {"LEVELS_EXCEEDED"}


def test_the_shipped_policies_ignore_an_unset_policy_dirs(monkeypatch):
    monkeypatch.delenv("PAINAUTH_POLICY_DIRS", raising=False)
    result = check("aetna", session("2026-12-14", "62323"), policy=load_policies()["aetna"],
                   history=THREE_ESIS, conservative_care=AMPLE_CARE)
    assert "FREQUENCY_LIMIT_REACHED" in codes(result)


# --- validation: a broken file names the file, the rule and the field -----------------------------

def rule_text(**fields: str) -> str:
    base = {"id": "test-rule", "type": "frequency", "group": "esi",
            "window": "{rolling_months: 12}", "limit": "3", "source": '"test"',
            "confidence": "C"}
    base.update(fields)
    return "  - " + "\n    ".join(f"{k}: {v}" for k, v in base.items() if v != "DROP") + "\n"


@pytest.mark.parametrize(("rule", "field"), [
    (rule_text(group="epidurals"), "group"),
    (rule_text(window="{rolling_weeks: 4}"), "window"),
    (rule_text(window="{rolling_months: 0}"), "window"),
    (rule_text(limit="0"), "limit"),
    (rule_text(limit="three"), "limit"),
    (rule_text(type="maximum"), "type"),
    (rule_text(source="DROP"), "source"),
    (rule_text(confidence="high"), "confidence"),
    (rule_text(effective_from='"2026-02-30"'), "effective_from"),
    (rule_text(effective_from="soon"), "effective_from"),
    (rule_text(effective_from="2026-02-30"), "effective_from"),
    (rule_text(effective_to="2026-04-31"), "effective_to"),
    (rule_text(effective_from="2026-06-01", effective_to="2026-01-01"), "effective_to"),
    (rule_text(limti="3"), "limti"),
    (rule_text(codes='["64999"]'), "codes"),
    (rule_text(intent="curative"), "intent"),
    (rule_text(type="interval", window="DROP", limit="DROP", min_days="14", min_months="1"),
     "min_days"),
    (rule_text(type="prior_auth", window="DROP", limit="DROP", places_of_service='["office"]'),
     "places_of_service"),
    (rule_text(type="step_therapy", window="DROP", limit="DROP", min_days="28",
               require_kinds="[[yoga]]"), "require_kinds"),
    (rule_text(type="repeat_response", window="DROP", limit="DROP",
               min_relief_percent="150"), "min_relief_percent"),
    (rule_text(type="prerequisite", window="DROP", limit="DROP", group="facet_rfa",
               requires="{group: blocks, count: 2}"), "requires.group"),
    (rule_text(type="step_therapy", window="DROP", limit="DROP", min_days="28",
               when="sometimes"), "when"),
])
def test_a_broken_rule_is_reported_with_its_file_rule_and_field(tmp_path, rule, field):
    folder = policy_dir(tmp_path, {"broken.yaml": TEST_PAYER_HEAD + rule})
    with pytest.raises(PolicyErrors) as raised:
        load_policies([folder])
    [error] = raised.value.errors
    assert (Path(error.file).name, error.rule, error.field) == ("broken.yaml", "test-rule", field)
    assert "broken.yaml" in str(error) and "test-rule" in str(error) and field in str(error)


def test_overlapping_versions_of_a_rule_are_reported(tmp_path):
    overlapping = TWO_VERSIONS.replace("effective_to: 2026-06-30", "effective_to: 2026-07-01")
    folder = policy_dir(tmp_path, {"broken.yaml": TEST_PAYER_HEAD + overlapping})
    with pytest.raises(PolicyErrors) as raised:
        load_policies([folder])
    [error] = raised.value.errors
    assert (error.rule, error.field) == ("test-esi-frequency", "effective_from")


def test_a_rule_without_an_id_is_reported_by_its_position(tmp_path):
    folder = policy_dir(tmp_path, {"broken.yaml": TEST_PAYER_HEAD + rule_text()
                                   + rule_text(id="DROP")})
    with pytest.raises(PolicyErrors) as raised:
        load_policies([folder])
    [error] = raised.value.errors
    assert (error.rule, error.field) == ("#2", "id")


def test_every_broken_rule_in_every_file_is_reported_together(tmp_path):
    folder = policy_dir(tmp_path, {
        "a.yaml": TEST_PAYER_HEAD + rule_text(limit="0") + rule_text(id="second", group="x"),
        "b.yaml": "payer: other\nrules:\n" + rule_text(confidence="maybe")})
    with pytest.raises(PolicyErrors) as raised:
        load_policies([folder])
    found = {(Path(e.file).name, e.rule, e.field) for e in raised.value.errors}
    assert found == {("a.yaml", "test-rule", "limit"), ("a.yaml", "second", "group"),
                     ("b.yaml", "test-rule", "confidence")}


def test_a_file_that_is_not_yaml_is_reported_by_name(tmp_path):
    folder = policy_dir(tmp_path, {"broken.yaml": "payer: x\nrules: [\n  - id: {\n"})
    with pytest.raises(PolicyErrors) as raised:
        load_policies([folder])
    [error] = raised.value.errors
    assert Path(error.file).name == "broken.yaml"
    assert "YAML" in error.message


def test_a_file_without_a_payer_is_reported(tmp_path):
    folder = policy_dir(tmp_path, {"broken.yaml": "rules:\n" + rule_text()})
    with pytest.raises(PolicyErrors) as raised:
        load_policies([folder])
    [error] = raised.value.errors
    assert (Path(error.file).name, error.field) == ("broken.yaml", "payer")


def test_a_missing_policy_folder_is_reported(tmp_path):
    with pytest.raises(PolicyErrors) as raised:
        load_policies([tmp_path / "nowhere"])
    assert "nowhere" in str(raised.value)


def test_the_shipped_policies_are_valid():
    shipped = load_policies([shipped_policy_dir()])
    assert set(shipped) >= {"medicare", "aetna", "cigna", "unitedhealthcare"}


# --- programs: clocks, channels, states, plan types -------------------------------------------

PROGRAM = """programs:
  - id: test-precert
    name: Test precertification
    channel: payer_pas
    clocks:
      - standard: {calendar_days: 15}
        expedited: {hours: 72}
"""
PROGRAM_RULE = """  - id: test-auth
    type: prior_auth
    program: test-precert
    group: esi
    source: "test"
    confidence: C
"""


def test_a_prior_auth_rule_belongs_to_a_program_with_its_clock(tmp_path):
    text = "payer: testpayer\nname: Test payer\n" + PROGRAM + "rules:\n" + PROGRAM_RULE
    policy = load_policies([policy_dir(tmp_path, {"t.yaml": text})])["testpayer"]
    clock = policy.programs["test-precert"].clock_on(date(2026, 6, 1))
    assert clock is not None and clock.describe() == "15 calendar days standard, 72 hours expedited"


@pytest.mark.parametrize(("change", "rule", "field"), [
    (("program: test-precert", "program: test-other"), "test-auth", "program"),
    (("group: esi\n", "group: esi\n    states: [TEXAS]\n"), "test-auth", "states"),
    (("channel: payer_pas", "channel: pigeon"), "program test-precert", "channel"),
    (("{calendar_days: 15}", "{fortnights: 1}"), "program test-precert",
     "clocks[0].standard.fortnights"),
    (("{hours: 72}", "{hours: 0}"), "program test-precert", "clocks[0].expedited.hours"),
    (("name: Test payer\n", "name: Test payer\nplan_type: hmo\n"), None, "plan_type"),
])
def test_bad_program_data_is_reported_with_file_rule_and_field(tmp_path, change, rule, field):
    text = "payer: testpayer\nname: Test payer\n" + PROGRAM + "rules:\n" + PROGRAM_RULE
    assert change[0] in text
    folder = policy_dir(tmp_path, {"broken.yaml": text.replace(*change)})
    with pytest.raises(PolicyErrors) as raised:
        load_policies([folder])
    [error] = raised.value.errors
    assert (Path(error.file).name, error.rule, error.field) == ("broken.yaml", rule, field)


def test_a_payer_holds_the_rules_of_one_plan_type(tmp_path):
    first = "payer: testpayer\nplan_type: medicare_advantage\nrules:\n" + rule_text()
    second = "payer: testpayer\nplan_type: commercial\nrules:\n" + rule_text(id="test-two")
    with pytest.raises(PolicyErrors) as raised:
        load_policies([policy_dir(tmp_path, {"a.yaml": first, "b.yaml": second})])
    [error] = raised.value.errors
    assert (Path(error.file).name, error.field) == ("b.yaml", "plan_type")
