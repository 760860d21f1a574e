"""The pure core: the policy model, the evaluation engine and what it reports."""

from tracker.rules.engine import evaluate
from tracker.rules.findings import SEVERITY, Counter, Finding, Result
from tracker.rules.policy import Policy
from tracker.rules.policy_files import load_policies, policies_in_force, policy_for
from tracker.rules.session import (
    CheckRequest,
    CodeLine,
    ConservativeCare,
    Exemption,
    Outcome,
    PsychEvaluation,
    Session,
)

__all__ = [
    "SEVERITY",
    "CheckRequest",
    "CodeLine",
    "ConservativeCare",
    "Counter",
    "Exemption",
    "Finding",
    "Outcome",
    "Policy",
    "PsychEvaluation",
    "Result",
    "Session",
    "evaluate",
    "load_policies",
    "policies_in_force",
    "policy_for",
]
