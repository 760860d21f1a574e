"""Where each payer is reached and how painauth authenticates to it.

Two sources, the environment winning over the file (see docs/payers.md):

- `<PAINAUTH_HOME>/payers.yaml` — non-secret settings per payer id
  (`payers: {aetna: {url: https://…/fhir, auth: client_credentials, token_url: …, client_id: …}}`).
  Secrets are refused there: a file is too easily copied, committed or backed up.
- `PAINAUTH_PAYER_<ID>_<SETTING>` environment variables, `<ID>` being the payer id in capitals
  with `-` written `_` (e.g. `PAINAUTH_PAYER_AETNA_URL`, `PAINAUTH_PAYER_AETNA_CLIENT_SECRET`).

Secrets are `SecretStr`: they print as `**********` in reprs, logs and error messages.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from tracker.payers.errors import GatewayNotConfigured

ENV_PREFIX = "PAINAUTH_PAYER_"
ENDPOINTS_FILE_NAME = "payers.yaml"
# PAINAUTH_PAYER_<ID>_NOTIFICATION_TOKEN: what the payer's rest-hooks must carry to the board
NOTIFICATION_TOKEN = "NOTIFICATION_TOKEN"
SECRET_SETTINGS = frozenset({"token", "client_secret"})

# environment suffix -> field name; matched longest first so TOKEN_URL is not read as TOKEN
ENV_SETTINGS: dict[str, str] = {
    "URL": "base_url",
    "CHANNEL": "channel",
    "AUTH": "auth",
    "TOKEN": "token",
    "TOKEN_URL": "token_url",
    "CLIENT_ID": "client_id",
    "CLIENT_SECRET": "client_secret",
    "SCOPE": "scope",
    "CONNECT_TIMEOUT": "connect_timeout",
    "READ_TIMEOUT": "read_timeout",
    "MAX_CONCURRENT": "max_concurrent",
    "MAX_ATTEMPTS": "max_attempts",
    "BACKOFF": "backoff_seconds",
    "MAX_BACKOFF": "max_backoff_seconds",
    "MAX_RETRY_AFTER": "max_retry_after_seconds",
    "FAX": "fax",
}
FILE_KEYS = {"url": "base_url", **{v: v for v in ENV_SETTINGS.values()}}


class PayerEndpoint(BaseModel):
    """One payer's connection: its PAS base URL, its credentials, and how patiently to talk to it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    payer: str
    channel: Literal["pas", "manual"] = "pas"
    base_url: str | None = Field(default=None, description="the payer's FHIR base; Claim/$submit is under it")
    auth: Literal["none", "bearer", "client_credentials"] = "none"
    token: SecretStr | None = None
    token_url: str | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    scope: str | None = None
    connect_timeout: float = Field(default=5.0, gt=0)
    read_timeout: float = Field(default=30.0, gt=0)
    max_concurrent: int = Field(default=4, ge=1, description="requests in flight to this payer at once")
    max_attempts: int = Field(default=4, ge=1, description="tries per request, the first included")
    backoff_seconds: float = Field(default=0.5, ge=0, description="first wait between tries")
    max_backoff_seconds: float = Field(default=30.0, ge=0)
    max_retry_after_seconds: float = Field(
        default=120.0, ge=0, description="longest Retry-After honoured in place; longer gives up")
    fax: str | None = Field(default=None, description="the utilization-review fax number, for "
                            "the packet's fax cover sheet")

    def checked(self) -> PayerEndpoint:
        """This endpoint, or GatewayNotConfigured naming the setting that is missing."""
        env = env_name(self.payer, "")
        if self.channel == "manual":
            return self
        if not self.base_url:
            raise GatewayNotConfigured(self.payer, f"{env}URL", "no PAS base URL")
        if not self.base_url.startswith(("http://", "https://")):
            raise GatewayNotConfigured(self.payer, f"{env}URL",
                                       "the base URL must start with https:// (or http://)")
        if self.auth == "bearer" and self.token is None:
            raise GatewayNotConfigured(self.payer, f"{env}TOKEN", "auth is bearer but no token is set")
        if self.auth == "client_credentials":
            for setting, value in (("TOKEN_URL", self.token_url), ("CLIENT_ID", self.client_id),
                                   ("CLIENT_SECRET", self.client_secret)):
                if value is None:
                    raise GatewayNotConfigured(self.payer, f"{env}{setting}",
                                               "auth is client_credentials but this is not set")
        return self


def env_name(payer: str, setting: str) -> str:
    """`env_name("blue-cross", "URL")` -> `PAINAUTH_PAYER_BLUE_CROSS_URL`."""
    return f"{ENV_PREFIX}{payer.upper().replace('-', '_')}_{setting}"


def load_payer_endpoints(home: Path | None = None,
                         environ: Mapping[str, str] | None = None) -> dict[str, PayerEndpoint]:
    """Every payer endpoint configured in `<home>/payers.yaml` and the environment, by payer id."""
    environ = os.environ if environ is None else environ
    if home is None:
        from tracker.settings import load_settings
        home = load_settings().home
    found: dict[str, dict[str, Any]] = {}
    for payer, settings in _from_file(home / ENDPOINTS_FILE_NAME).items():
        found.setdefault(payer, {}).update(settings)
    env_ids = {_env_id(p): p for p in found}
    for key, value in environ.items():
        parsed = _from_env_key(key)
        if parsed is None:
            continue
        env_id, field = parsed
        payer = env_ids.setdefault(env_id, env_id.lower().replace("_", "-"))
        found.setdefault(payer, {})[field] = value
    endpoints = {}
    for payer, settings in found.items():
        try:
            endpoints[payer] = PayerEndpoint(payer=payer, **settings)
        except ValidationError as err:
            problem = err.errors()[0]
            setting = ".".join(str(p) for p in problem["loc"])
            raise GatewayNotConfigured(payer, setting, problem["msg"]) from None
    return endpoints


def payer_endpoint(payer: str, home: Path | None = None,
                   environ: Mapping[str, str] | None = None) -> PayerEndpoint:
    """The checked endpoint of one payer, or GatewayNotConfigured saying what to set."""
    endpoint = load_payer_endpoints(home, environ).get(payer)
    if endpoint is None:
        raise GatewayNotConfigured(payer, env_name(payer, "URL"),
                                   f"no endpoint configured (set it, or add {payer!r} to "
                                   f"{ENDPOINTS_FILE_NAME} under PAINAUTH_HOME)")
    return endpoint.checked()


def _env_id(payer: str) -> str:
    return payer.upper().replace("-", "_")


def _from_env_key(key: str) -> tuple[str, str] | None:
    if not key.startswith(ENV_PREFIX):
        return None
    rest = key[len(ENV_PREFIX):]
    if rest.endswith("_" + NOTIFICATION_TOKEN):  # the board's, not the gateway's
        return None
    for suffix in sorted(ENV_SETTINGS, key=len, reverse=True):
        if rest.endswith("_" + suffix) and len(rest) > len(suffix) + 1:
            return rest[: -len(suffix) - 1], ENV_SETTINGS[suffix]
    return None


def _from_file(path: Path) -> dict[str, dict[str, Any]]:
    if not path.is_file():
        return {}
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as err:
        raise GatewayNotConfigured("*", str(path), f"cannot read the payer endpoints: {err}") from None
    payers = document.get("payers") if isinstance(document, dict) else None
    if not isinstance(payers, dict):
        raise GatewayNotConfigured("*", str(path), "expected a `payers:` mapping of payer id to settings")
    found: dict[str, dict[str, Any]] = {}
    for payer, settings in payers.items():
        if not isinstance(settings, dict):
            raise GatewayNotConfigured(str(payer), str(path), "expected a mapping of settings")
        for key in settings:
            if key in SECRET_SETTINGS:
                raise GatewayNotConfigured(
                    str(payer), f"{path}: {key}",
                    f"secrets do not belong in a file; set {env_name(str(payer), key.upper())} "
                    "in the environment instead")
            if key not in FILE_KEYS:
                raise GatewayNotConfigured(str(payer), f"{path}: {key}",
                                           "unknown setting; known: " + ", ".join(sorted(FILE_KEYS)))
        found[str(payer)] = {FILE_KEYS[k]: v for k, v in settings.items()}
    return found
