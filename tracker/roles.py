"""Board roles and what each may do.

The staff roles widen in order: a scheduler reads the whole practice, billing also works
authorizations, an admin also manages users. A provider is not on that line: an account linked
to one provider record, it reads only that provider's own patients (their visits, alerts and
authorizations) and may record the outcome of a peer-to-peer on an authorization for a visit
the provider performs. Each board route says which of these it lets in (tracker.web.signing_in).
"""

from __future__ import annotations

STAFF_ROLES: tuple[str, ...] = ("scheduler", "billing", "admin")
PROVIDER_ROLE = "provider"
USER_ROLES: tuple[str, ...] = (*STAFF_ROLES, PROVIDER_ROLE)


def role_includes(role: str, needed: str) -> bool:
    """True when `role` may do what `needed` may: a wider staff role includes a narrower one;
    the provider role includes only itself."""
    if role == PROVIDER_ROLE or needed == PROVIDER_ROLE:
        return role == needed
    return (role in STAFF_ROLES and needed in STAFF_ROLES
            and STAFF_ROLES.index(role) >= STAFF_ROLES.index(needed))
