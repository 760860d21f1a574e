"""The evidence a reviewer reads, imported: pain and function scores of a session, the psych
evaluator, imaging studies — from CSV files, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session as DbSession
from sqlmodel import col, select

from tracker.store.tables import ImagingStudyRow, PsychEvaluationRow, QuarantinedRow, SessionRow

from .practice_files import GOOD_ROWS, run_import, seed_patient_and_provider, write_csv

_SCORED = {**GOOD_ROWS["sessions"], "pain_before": "7", "pain_after": "2",
           "function_scale": "odi", "function_before": "48", "function_after": "30"}


def test_scores_evaluator_and_imaging_are_stored_and_bad_values_quarantined_naming_the_fix(
        engine: Engine, tmp_path: Path) -> None:
    seed_patient_and_provider(engine, tmp_path)
    bad = [  # (row, field, words of the reason)
        ({**_SCORED, "date": "2026-07-01", "function_after": "120"}, "function_after",
         "use a number from 0 to 100"),
        ({**_SCORED, "date": "2026-07-02", "function_scale": ""}, "function_scale",
         "name the instrument"),
        ({**_SCORED, "date": "2026-07-03", "pain_after": "2.5"}, "pain_after",
         "whole number from 0"),
        ({**GOOD_ROWS["sessions"], "date": "2026-12-20", "status": "scheduled",
          "relief_percent": "", "duration_days": "", "pain_before": "6"}, "pain_before",
         "only for performed sessions"),
    ]
    files = [write_csv(tmp_path, "sessions", [_SCORED, *(row for row, _, _ in bad)]),
             write_csv(tmp_path, "psych_evaluations", [GOOD_ROWS["psych_evaluations"]]),
             write_csv(tmp_path, "imaging", [GOOD_ROWS["imaging"],
                                             {**GOOD_ROWS["imaging"], "date": "2999-01-01"}],
                       name="radiology_export.csv")]
    report = run_import(engine, *files)
    totals = report.totals()
    assert (totals["sessions"].loaded, totals["sessions"].quarantined) == (1, len(bad))
    assert (totals["imaging"].loaded, totals["imaging"].quarantined) == (1, 1)
    assert totals["psych_evaluations"].loaded == 1
    with DbSession(engine) as db:
        session = db.exec(select(SessionRow)).one()
        assert (session.pain_before, session.pain_after, session.function_scale,
                session.function_before, session.function_after) == (7, 2, "ODI", 48, 30)
        assert db.exec(select(PsychEvaluationRow)).one().evaluator == (
            "Dr. Pat Synthetic-Psychologist, PhD")
        study = db.exec(select(ImagingStudyRow)).one()
        assert (study.date, study.modality, study.region) == (date(2026, 3, 2), "MRI",
                                                              "lumbar spine")
        assert "left L5 nerve root" in (study.impression or "")
        refused = {(q.kind, q.field): q.reason for q in db.exec(
            select(QuarantinedRow).order_by(col(QuarantinedRow.line)))}
    for _, field, words in bad:
        assert words in refused[("sessions", field)], (field, refused)
    assert "in the future" in refused[("imaging", "date")]
    # importing again changes nothing; a later export without the scores keeps them
    assert run_import(engine, *files).totals()["sessions"].unchanged == 1
    unscored = {**_SCORED, "pain_before": "", "pain_after": "", "function_scale": "",
                "function_before": "", "function_after": ""}
    run_import(engine, write_csv(tmp_path, "sessions", [unscored], name="later.csv"))
    with DbSession(engine) as db:
        assert db.exec(select(SessionRow)).one().pain_before == 7
