"""Board roles, widest last: a scheduler reads, billing also updates authorizations, an admin
also manages users."""

from __future__ import annotations

USER_ROLES: tuple[str, ...] = ("scheduler", "billing", "admin")
