"""How alerts are raised and delivered, read from `PAINAUTH_`-prefixed environment variables (or
`.env`), like the rest of painauth's settings. docs/alerts.md lists them all.

Thresholds: `PAINAUTH_ALERT_HORIZON_DAYS` (visits looked at, default 21),
`PAINAUTH_ALERT_AUTH_PENDING_DAYS` (a visit this close without an approved authorization raises
`auth_pending`, default 5), `PAINAUTH_ALERT_LOW_URGENCY` (kinds that may wait for a daily digest),
`PAINAUTH_ALERT_APPEAL_DAYS` (days before an appeal or peer-to-peer deadline the billing owner is
told, default `7,2`).

The practice's billing office: `PAINAUTH_ALERT_BILLING_PHONE` and `PAINAUTH_ALERT_BILLING_EMAIL`,
where alerts for billing's work (appeal deadlines) go, board users having no phone or address.

Channels: SMS needs `PAINAUTH_TWILIO_ACCOUNT_SID`, `PAINAUTH_TWILIO_AUTH_TOKEN` and
`PAINAUTH_TWILIO_FROM`; email needs `PAINAUTH_SMTP_HOST` and `PAINAUTH_SMTP_FROM`. With neither,
every alert goes to the console/file outbox under `$PAINAUTH_HOME/outbox`. The Twilio auth token and
the SMTP password are secrets: they are only read here and never printed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_LOW_URGENCY = ("limit_approaching", "documentation_missing")


class AlertSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PAINAUTH_", env_file=".env", extra="ignore")

    home: Path = Field(default=Path("var"), description="the data folder (PAINAUTH_HOME)")
    board_url: str = Field(default="http://127.0.0.1:8000", description="links in messages")

    alert_horizon_days: int = Field(default=21, ge=1, le=366)
    alert_auth_pending_days: int = Field(default=5, ge=0, le=90)
    alert_low_urgency: Annotated[tuple[str, ...], NoDecode] = DEFAULT_LOW_URGENCY
    alert_digest_hour: int = Field(default=7, ge=0, le=23,
                                   description="local hour the daily digest goes out")
    alert_appeal_days: Annotated[tuple[int, ...], NoDecode] = Field(
        default=(7, 2), description="days before a denial step's deadline billing is told")
    alert_billing_phone: str | None = Field(default=None,
                                            description="the billing office's number, E.164")
    alert_billing_email: str | None = Field(default=None,
                                            description="the billing office's address")

    alert_max_attempts: int = Field(default=5, ge=1, description="sends per channel before giving up")
    alert_backoff_seconds: float = Field(default=60.0, ge=0, description="first retry delay")
    alert_backoff_max_seconds: float = Field(default=3600.0, ge=0)
    alert_claim_seconds: float = Field(
        default=300.0, ge=0, description="after this long a claimed send is taken as abandoned")

    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_from: str | None = Field(default=None, description="the sending number, E.164")
    twilio_api_url: str | None = Field(
        default=None, description="another base URL for the Messages API (a local stand-in)")
    twilio_status_callback_url: str | None = Field(
        default=None, description="the public URL of POST /twilio/status; default board_url's")

    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    smtp_from: str | None = None
    smtp_timeout_seconds: float = 20.0

    outbox_dir: Path | None = Field(default=None, description="console outbox; default home/outbox")

    @field_validator("home")
    @classmethod
    def _home_is_absolute(cls, home: Path) -> Path:
        return home.expanduser().resolve()

    @field_validator("alert_low_urgency", mode="before")
    @classmethod
    def _split_kinds(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("alert_appeal_days", mode="before")
    @classmethod
    def _split_days(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            if not all(part.isdigit() and 0 < int(part) <= 366 for part in parts):
                raise ValueError(f"{value!r} is not a list of days; write e.g. 7,2")
            return tuple(int(part) for part in parts)
        return value

    @property
    def sms_configured(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token and self.twilio_from)

    @property
    def email_configured(self) -> bool:
        return bool(self.smtp_host and self.smtp_from)

    def outbox_folder(self) -> Path:
        return self.outbox_dir or self.home / "outbox"

    def status_callback_url(self) -> str:
        return self.twilio_status_callback_url or self.board_url.rstrip("/") + "/twilio/status"


def load_alert_settings() -> AlertSettings:
    return AlertSettings()
