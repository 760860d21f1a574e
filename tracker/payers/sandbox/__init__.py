"""A Da Vinci PAS payer on loopback for the demo and the tests: `painauth sandbox --port N`.

    from tracker.payers.sandbox import SandboxConfig, create_app
    app = create_app(SandboxConfig(rules=load_rules(path)))
"""

from tracker.payers.sandbox.app import create_app
from tracker.payers.sandbox.config import SandboxConfig
from tracker.payers.sandbox.rules import SandboxRules, SandboxRulesError, default_rules, load_rules

__all__ = ["SandboxConfig", "SandboxRules", "SandboxRulesError", "create_app", "default_rules",
           "load_rules"]
