"""`painauth policies show medicare` lists the programs with their clocks and validity."""

from check_requests import shipped

from tracker.rules.program_words import describe_programs


def test_medicare_lists_opd_and_wiser_with_their_clocks_validity_and_states():
    text = describe_programs(shipped("medicare"))
    assert "medicare-opd: Medicare hospital outpatient department prior authorization" in text
    assert "clock to 2024-12-31: 10 business days standard, 2 business days expedited" in text
    assert "clock from 2025-01-01: 7 calendar days standard, 2 business days expedited" in text
    assert "approval valid 120 days, one date of service" in text
    assert "exemption: ≥ 90 % approved of ≥ 10 requests, 1/1–30/9" in text
    assert "medicare-wiser" in text and "72 hours standard" in text
    assert "from 2026-01-15 to 2031-12-31" in text
    assert "when performed in AZ, NJ, OH, OK, TX, WA" in text
    assert "63650 from 2021-07-01" in text


def test_a_commercial_payer_shows_its_program_on_the_payer_files_clock():
    text = describe_programs(shipped("aetna"))
    assert "aetna-precertification" in text
    assert "clock: the payer file's, 7 days standard, 72 hours expedited" in text


def test_painauth_policies_show_medicare_prints_the_programs(capsys):
    from tracker.cli import main

    assert main(["policies", "show", "Medicare"]) == 0
    out = capsys.readouterr().out
    assert "Prior-authorization programs" in out
    assert "medicare-wiser" in out and "7 calendar days standard" in out
