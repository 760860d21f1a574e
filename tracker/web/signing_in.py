"""Who is asking: the signed session cookie, the role a route needs, and the form token.

The cookie (Starlette's SessionMiddleware: signed, SameSite=Lax, HttpOnly, Secure when
PAINAUTH_COOKIE_SECURE is set) carries only the user's id, the user's session generation at sign-in
and a per-session form token. Every request looks the user up again, so a disabled user or a
changed role takes effect at once, and a cookie signed in under an older generation is refused:
logging out, a new password and disabling each move the generation on, so a copied or replayed
cookie stops working the moment the session ends. Pages send a signed-out visitor to /login; the
API answers 401.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from tracker.store.users import User, end_sessions, find_user

SESSION_COOKIE = "painauth_session"
SESSION_HOURS = 10


class SignInRequired(Exception):
    """A page was asked for without a session: the handler redirects to /login."""


class ApiSignInRequired(Exception):
    """An API route was asked for without a session: the handler answers 401."""


class NotAllowed(Exception):
    """The user's role does not include what the route does: 403."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadFormToken(Exception):
    """A form came back without this session's token (a forged or stale form): 403."""


def signed_in_user(request: Request) -> User | None:
    user_id = request.session.get("user_id")
    if not isinstance(user_id, int):
        return None
    user = find_user(request.app.state.board.engine, user_id)
    if (user is None or not user.active
            or request.session.get("generation") != user.session_generation):
        request.session.clear()
        return None
    return user


def page_user(request: Request) -> User:
    user = signed_in_user(request)
    if user is None:
        raise SignInRequired()
    return user


def api_user(request: Request) -> User:
    user = signed_in_user(request)
    if user is None:
        raise ApiSignInRequired()
    return user


PageUser = Annotated[User, Depends(page_user)]
ApiUser = Annotated[User, Depends(api_user)]


def refusal(user: User, role: str, doing: str) -> NotAllowed:
    if user.is_provider:
        return NotAllowed(f"{doing} is for the practice's staff; a provider account sees only "
                          f"its own patients' visits, alerts and authorizations (signed in as "
                          f"{user.name})")
    return NotAllowed(f"{doing} needs the {role} role; you are signed in as {user.name} "
                      f"({user.role})")


@dataclass(frozen=True)
class RoleNeeded:
    """A dependency that lets through users whose role includes `role` (tracker.roles: the
    provider role includes no staff role)."""

    role: str
    doing: str

    def __call__(self, user: PageUser) -> User:
        if not user.may(self.role):
            raise refusal(user, self.role, self.doing)
        return user


@dataclass(frozen=True)
class ReaderNeeded:
    """A dependency for the pages a provider may read too: any staff role, or a provider account
    linked to its provider record. The route itself keeps the provider to their own patients
    (tracker.web.provider_scope)."""

    doing: str

    def __call__(self, user: PageUser) -> User:
        if user.is_provider and user.provider_id is None:
            raise NotAllowed(f"{self.doing}: your provider account is not linked to a provider "
                             "record yet; ask an admin to link it on the users page")
        if not user.is_provider and not user.may("scheduler"):
            raise refusal(user, "scheduler", self.doing)
        return user


@dataclass(frozen=True)
class ApiRoleNeeded:
    """RoleNeeded for the JSON API: a signed-out caller gets 401, a refused one 403 (JSON)."""

    role: str
    doing: str

    def __call__(self, user: ApiUser) -> User:
        if not user.may(self.role):
            raise refusal(user, self.role, self.doing)
        return user


def form_token(request: Request) -> str:
    """This session's form token, made on first use."""
    token = request.session.get("form_token")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["form_token"] = token
    return token


def check_form_token(request: Request, submitted: str) -> None:
    expected = request.session.get("form_token")
    if not isinstance(expected, str) or not hmac.compare_digest(expected.encode(),
                                                                submitted.encode()):
        raise BadFormToken()


def sign_in(request: Request, user: User) -> None:
    """Start a fresh session for `user` (a new form token too, so a pre-login one is useless)."""
    request.session.clear()
    request.session["user_id"] = user.id
    request.session["generation"] = user.session_generation
    request.session["form_token"] = secrets.token_urlsafe(32)


def sign_out(request: Request, user: User) -> None:
    """End this session on the server too: the cookie, replayed, no longer signs anyone in."""
    end_sessions(request.app.state.board.engine, user.id)
    request.session.clear()
