"""How one sandbox payer is set up: its rules, where it keeps state, whom it lets in."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tracker.payers.sandbox.rules import SandboxRules, default_rules


@dataclass
class SandboxConfig:
    rules: SandboxRules = field(default_factory=default_rules)
    state_file: Path | None = None
    # Authentication is off unless asked for. The credentials are the sandbox's own, synthetic.
    require_auth: bool = False
    bearer_tokens: tuple[str, ...] = ()
    clients: dict[str, str] = field(default_factory=dict)  # OAuth client id -> secret
    token_lifetime_seconds: float = 3600.0
    review_tick_seconds: float = 0.2  # how often pended requests whose review is over are decided
    notification_timeout_seconds: float = 5.0
    clock: Callable[[], float] = time.time
