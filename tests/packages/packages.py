"""Authorization packages built by hand, for the tests that need no database."""

from __future__ import annotations

from datetime import date
from typing import Any

from tracker.packages import package as pkg
from tracker.packages.pas_bundle import pas_request_bundle

MOMENT_TEXT = "2026-12-01T09:30:00+00:00"


def rfa_package(**changes: Any) -> pkg.AuthorizationPackage:
    """A complete request for a 2-level lumbar facet RFA after two diagnostic blocks."""
    blocks = tuple(
        pkg.PriorTreatment(date=day, codes=("64493", "64494"), family="facet_injection",
                           region="lumbar_sacral", intent="diagnostic", levels=2,
                           relief_percent=relief, duration_days=1)
        for day, relief in ((date(2026, 5, 12), 85.0), (date(2026, 6, 9), 90.0)))
    values: dict[str, Any] = {
        "authorization_id": 41, "session_id": 7, "status": "ready",
        "patient": pkg.Patient(mrn="SYN-9001", family_name="Testperson", given_name="Avery Q",
                               birth_date=date(1961, 3, 14)),
        "coverage": pkg.Coverage(payer="unitedhealthcare", payer_name="UnitedHealthcare",
                                 member_id="UHC9000001", rank="primary"),
        "ordering_provider": pkg.Provider(npi="1234567893", name="Dr. Synthia Example"),
        "rendering_provider": pkg.Provider(npi="1234567893", name="Dr. Synthia Example"),
        "place_of_service": "24",
        "requested_date": date(2026, 12, 16),
        "lines": (pkg.ServiceLine("64635", "Radiofrequency ablation, lumbar/sacral, single joint",
                                  1, ("RT",), "facet_rfa"),
                  pkg.ServiceLine("64636", "Radiofrequency ablation, each additional joint", 1,
                                  ("RT",), "facet_rfa")),
        "procedures": (pkg.RequestedProcedure("facet_rfa", "lumbar_sacral", "therapeutic", 2,
                                              ("64635", "64636")),),
        "diagnoses": ("M47.816", "M54.50"),
        "conservative_care": (
            pkg.CareEpisode("physical_therapy", date(2026, 6, 1), date(2026, 8, 15), "partial",
                            visits=12),
            pkg.CareEpisode("medication", date(2026, 6, 1), date(2026, 11, 1), "no_relief",
                            drugs="naproxen 500 mg")),
        "diagnostic_blocks": blocks,
    }
    values.update(changes)
    return pkg.AuthorizationPackage(**values)


def rfa_bundle(**changes: Any) -> dict[str, Any]:
    from datetime import datetime

    return pas_request_bundle(rfa_package(**changes), "auth-41-attempt-1",
                              timestamp=datetime.fromisoformat(MOMENT_TEXT))
