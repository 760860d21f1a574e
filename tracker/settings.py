"""Where painauth keeps its data and which database it talks to, read from the environment.

Every setting comes from a `PAINAUTH_`-prefixed environment variable or a `.env` file in the
working directory:

- `PAINAUTH_HOME` — the data folder (default `./var`, resolved against the working directory when
  the settings are read). The embedded SQLite database lives there.
- `PAINAUTH_DATABASE_URL` — an SQLAlchemy URL; default `sqlite:///<home>/painauth.sqlite`.
  PostgreSQL: `postgresql+psycopg://user:password@host:5432/painauth`.
- `PAINAUTH_POLICY_DIRS` — extra folders of payer policy files, separated by `os.pathsep`
  (`:` on Linux and macOS, `;` on Windows).
- `PAINAUTH_PRACTICE_STATE` — the USPS code of the state the practice performs sessions in
  (e.g. `TX`), for state-scoped payer programs such as Medicare's WISeR model; a session's
  `service_state` (its place or facility) overrides it.
- `PAINAUTH_SECRET_KEY` — signs the board's session cookie; when unset the board makes one and
  keeps it in a file only its owner can read under `PAINAUTH_HOME` (see `tracker.web.secret_key`).
- `PAINAUTH_COOKIE_SECURE` — `true` when the board is served over HTTPS (TLS in front of it): the
  session cookie is then marked Secure and the board sends Strict-Transport-Security.
- `PAINAUTH_DASK_SCHEDULER` — the address of a Dask scheduler (e.g. `tcp://10.0.0.5:8786`) whose
  workers run the pre-visit check's batches; unset, each run that has more than one batch starts
  a local cluster of `PAINAUTH_CHECK_WORKERS` worker processes (default 2) on loopback and stops
  it at the end (docs/operations.md, "Scale-out").
- `PAINAUTH_DOCUMENT_MAX_MB` — the largest document the board accepts for upload, in megabytes
  (default 10).
- `PAINAUTH_PRACTICE_NAME`, `_ADDRESS`, `_PHONE`, `_FAX`, `_TAX_ID`, `_NPI` — the practice as
  payers know it, on the packet's letterhead and in PAS requests.

The database URL may carry a password, so it is a secret: it is never printed whole; use
`Settings.database_url_for_display()` in messages and logs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from tracker.errors import PainauthError

DEFAULT_HOME = Path("var")


class BadSetting(PainauthError):
    """A setting from the environment that painauth cannot use; the message names it."""

DATABASE_FILE_NAME = "painauth.sqlite"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PAINAUTH_", env_file=".env", extra="ignore")

    home: Path = Field(default=DEFAULT_HOME, description="the data folder")
    database_url: SecretStr | None = Field(default=None, description="SQLAlchemy database URL")
    attach_packet: bool = Field(
        default=False, description="also send the PDF packet inside PAS bundles (PAINAUTH_ATTACH_"
        "PACKET); the evidence travels as structured supportingInfo either way")
    policy_dirs: Annotated[list[Path], NoDecode] = Field(
        default_factory=list, description="extra payer policy folders, os.pathsep-separated")
    secret_key: SecretStr | None = Field(default=None, description="signs the session cookie")
    cookie_secure: bool = Field(
        default=False, description="the board is reached over HTTPS: Secure cookie and HSTS")
    dask_scheduler: str | None = Field(
        default=None, description="address of a Dask scheduler for the pre-visit check's batches "
        "(PAINAUTH_DASK_SCHEDULER, e.g. tcp://10.0.0.5:8786); unset, a local cluster")
    check_workers: int = Field(
        default=2, description="worker processes of the local Dask cluster the pre-visit check "
        "starts when PAINAUTH_DASK_SCHEDULER is unset (PAINAUTH_CHECK_WORKERS)")

    @field_validator("check_workers")
    @classmethod
    def _at_least_one_worker(cls, workers: int) -> int:
        if workers < 1:
            raise ValueError(f"PAINAUTH_CHECK_WORKERS must be 1 or more (got {workers})")
        return workers

    # The practice as payers know it: the packet's letterhead and the PAS requestor.
    practice_name: str = Field(default="", description="the practice's legal name")
    practice_address: str = Field(default="", description="street, city, state and ZIP, one line")
    practice_phone: str = Field(default="", description="the practice's phone number")
    practice_fax: str = Field(default="", description="the practice's fax number")
    practice_tax_id: str = Field(default="", description="the practice's tax id (TIN/EIN)")
    practice_npi: str = Field(default="", description="the practice's group (type 2) NPI")
    practice_state: str | None = Field(
        default=None, description="USPS code of the state the practice performs sessions in "
        "(PAINAUTH_PRACTICE_STATE, e.g. TX); a session's own service_state overrides it")

    def practice_state_code(self) -> str | None:
        """PAINAUTH_PRACTICE_STATE as a USPS code; a clear error (not a traceback) when it is not
        one."""
        value = (self.practice_state or "").strip().upper()
        if not value:
            return None
        if len(value) != 2 or not value.isalpha():
            raise BadSetting(f"PAINAUTH_PRACTICE_STATE must be a two-letter USPS state code such "
                             f"as TX (got {self.practice_state!r})")
        return value

    document_max_mb: float = Field(
        default=10, gt=0, description="the largest document upload, in MB (PAINAUTH_DOCUMENT_"
        "MAX_MB)")
    practice_timezone: str = Field(
        default="America/New_York", description="the practice's IANA time zone "
        "(PAINAUTH_PRACTICE_TIMEZONE): the board shows every time in it")

    @field_validator("practice_timezone")
    @classmethod
    def _known_time_zone(cls, name: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"PAINAUTH_PRACTICE_TIMEZONE: {name!r} is not a known time zone; use "
                             "an IANA name such as America/New_York or America/Chicago") from None
        return name

    @field_validator("home")
    @classmethod
    def _home_is_absolute(cls, home: Path) -> Path:
        return home.expanduser().resolve()

    @field_validator("policy_dirs", mode="before")
    @classmethod
    def _split_policy_dirs(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [Path(part).expanduser() for part in value.split(os.pathsep) if part.strip()]
        return value

    def resolved_database_url(self) -> str:
        """The URL to connect with: the configured one, or the SQLite file under `home`."""
        if self.database_url is not None and self.database_url.get_secret_value().strip():
            return self.database_url.get_secret_value().strip()
        return f"sqlite:///{self.home / DATABASE_FILE_NAME}"

    def database_url_for_display(self) -> str:
        """The database URL with any password masked, safe for messages and logs."""
        return url_for_display(self.resolved_database_url())


def url_for_display(url: str) -> str:
    """`url` with its password replaced by `***`."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


def load_settings() -> Settings:
    return Settings()
