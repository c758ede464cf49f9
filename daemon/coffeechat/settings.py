"""The one settings file, validated once at start.

Every key has a default where one makes sense, a type and a description; the example file in
``config/`` is written from the same facts. Values come from the TOML file, overridden by
``COFFEECHAT_<SECTION>__<KEY>`` environment variables. Only this module reads the environment.
A bad file raises :class:`SettingsError`, whose message names the file, the key and the problem.
"""

from __future__ import annotations

import ipaddress
import os
import re
import stat
import tomllib
from collections.abc import Mapping
from datetime import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

ENV_PREFIX = "COFFEECHAT_"
ENV_CONFIG = "COFFEECHAT_CONFIG"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class SettingsError(Exception):
    """A settings problem a person must fix; the message is one line per problem."""


def xdg_config_home() -> Path:
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")


def xdg_data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def default_config_path() -> Path:
    return xdg_config_home() / "coffeechat" / "coffeechat.toml"


def is_loopback(host: str) -> bool:
    if host.lower() in {"localhost", "localhost.localdomain", "ip6-localhost"}:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class Security(StrEnum):
    TLS = "tls"
    STARTTLS = "starttls"
    NONE = "none"


class Auth(StrEnum):
    LOGIN = "login"
    XOAUTH2 = "xoauth2"


class Credentials(_Section):
    """A password given one of three ways; resolved when a connection needs it, never logged."""

    username: str = Field("", description="Login name; often the email address.")
    password: SecretStr | None = Field(None, description="The password itself (least safe).")
    password_file: Path | None = Field(
        None, description="A file holding the secret (systemd credential, container secret)."
    )
    password_command: str | None = Field(
        None, description="A command whose standard output is the secret (pass, secret-tool...)."
    )

    @field_validator("password_file")
    @classmethod
    def _file_readable_and_private(cls, value: Path | None) -> Path | None:
        if value is None:
            return None
        path = value.expanduser()
        try:
            info = path.stat()
            with path.open("rb"):
                pass
        except OSError as exc:
            raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
        if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO) and not _is_systemd_credential(path):
            raise ValueError(
                f"{path} can be read by others (mode {stat.S_IMODE(info.st_mode):o}); "
                f"run: chmod 600 {path}"
            )
        return path

    @model_validator(mode="after")
    def _one_source(self) -> Credentials:
        given = [
            name
            for name in ("password", "password_file", "password_command")
            if getattr(self, name) is not None
        ]
        if len(given) > 1:
            raise ValueError(f"give only one of {', '.join(given)}")
        return self

    @property
    def has_secret(self) -> bool:
        return any(
            v is not None for v in (self.password, self.password_file, self.password_command)
        )


def _is_systemd_credential(path: Path) -> bool:
    creds = os.environ.get("CREDENTIALS_DIRECTORY")
    return creds is not None and path.resolve().is_relative_to(Path(creds).resolve())


class OwnerSettings(_Section):
    name: str = Field(description="Your name, as it appears in From and signatures.")
    email: str = Field(description="Your address; outreach is sent from it.")
    timezone: str = Field("UTC", description="IANA zone, e.g. Europe/Berlin.")
    signature: str = Field("", description="Text appended to every email.")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return check_zone(value)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return check_address(value)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def _ca_exists(value: Path | None) -> Path | None:
    if value is not None and not value.expanduser().is_file():
        raise ValueError(f"no such file: {value}")
    return value.expanduser() if value else None


# A PEM file of CA certificates for a server whose certificate a private CA signed (self-hosted,
# a company CA); validated to exist. Certificate errors then name this key as the fix.
CaFile = Annotated[Path | None, AfterValidator(_ca_exists)]


class _Server(Credentials):
    host: str = Field(description="Server host name.")
    port: int | None = Field(None, ge=1, le=65535, description="Defaults by security.")
    auth: Auth = Field(Auth.LOGIN, description="login, or xoauth2 with password_command.")
    allow_plaintext: bool = Field(
        False, description="Allow security = none to a host outside loopback."
    )
    timeout_seconds: float = Field(30.0, gt=0, description="Network timeout per operation.")
    ca_file: CaFile = Field(None, description="Extra CA certificate (self-hosted servers).")

    @model_validator(mode="after")
    def _plaintext(self) -> _Server:
        security = getattr(self, "security", Security.TLS)
        if security is Security.NONE and not is_loopback(self.host) and not self.allow_plaintext:
            raise ValueError(
                f"security = none would send the password in clear text to {self.host}; "
                "use tls or starttls, or set allow_plaintext = true"
            )
        if self.auth is Auth.XOAUTH2 and self.password_command is None:
            raise ValueError("auth = xoauth2 needs password_command (it prints the token)")
        return self


class ImapSettings(_Server):
    security: Security = Field(Security.TLS, description="tls, starttls or none.")
    folder: str = Field("INBOX", description="Where replies arrive.")
    sent_folder: str | None = Field(None, description="Auto-detected by SPECIAL-USE, else Sent.")
    drafts_folder: str | None = Field(
        None, description="Auto-detected by SPECIAL-USE, else Drafts."
    )
    use_idle: bool = Field(True, description="Use IDLE where offered; false: always poll.")
    poll_seconds: float = Field(60.0, ge=1, description="Poll interval where IDLE is missing.")
    idle_seconds: float = Field(
        25 * 60.0, ge=10, le=29 * 60.0, description="IDLE is re-issued after this (RFC 2177)."
    )
    idle_recheck_seconds: float = Field(
        30.0,
        ge=1,
        le=29 * 60.0,
        description="A quiet IDLE is ended and the folder searched for new mail after this: "
        "mail that lands just as IDLE starts, or whose announcement came inside another "
        "command's answer, is otherwise announced late or never.",
    )
    resync_minutes: float = Field(60.0, ge=1, description="Full header re-sync interval.")

    @property
    def effective_port(self) -> int:
        return self.port or (993 if self.security is Security.TLS else 143)


class SmtpSettings(_Server):
    security: Security = Field(Security.STARTTLS, description="tls, starttls or none.")

    @property
    def effective_port(self) -> int:
        if self.port:
            return self.port
        return {Security.TLS: 465, Security.STARTTLS: 587, Security.NONE: 25}[self.security]


class CaldavSettings(Credentials):
    url: str = Field(description="The CalDAV server or principal URL.")
    calendar: str = Field("", description="Display name or URL; empty: the first calendar.")
    busy_calendars: list[str] = Field(
        default_factory=list, description="More calendars whose events count as busy."
    )
    timeout_seconds: float = Field(30.0, gt=0)
    allow_plaintext: bool = Field(False, description="Allow http:// to a host outside loopback.")
    ca_file: CaFile = Field(
        None,
        description="A self-hosted server's CA certificate (PEM); trusted instead of the "
        "system's CAs for this server.",
    )

    @model_validator(mode="after")
    def _scheme(self) -> CaldavSettings:
        m = re.match(r"^(https?)://([^/:]+|\[[^\]]+\])", self.url)
        if not m:
            raise ValueError(f"url must start with http:// or https://, got {self.url!r}")
        if m.group(1) == "http" and not is_loopback(m.group(2)) and not self.allow_plaintext:
            raise ValueError(
                f"http:// would send the password in clear text to {m.group(2)}; "
                "use https:// or set allow_plaintext = true"
            )
        return self


class DatabaseSettings(_Section):
    url: str = Field("", description="SQLAlchemy URL; empty: a SQLite file in the data dir.")

    @property
    def effective_url(self) -> str:
        if self.url:
            return self.url
        path = xdg_data_home() / "coffeechat" / "coffeechat.sqlite3"
        return f"sqlite:///{path}"


class Cadence(StrEnum):
    SIMPLE = "simple"
    THREE_B_SEVEN = "3b7"


class ScheduleSettings(_Section):
    meeting_minutes: int = Field(30, ge=10, le=240)
    working_days: list[str] = Field(default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"])
    working_hours: str = Field("09:00-17:00", description="HH:MM-HH:MM in your zone.")
    buffer_minutes: int = Field(15, ge=0, le=240)
    min_notice_hours: int = Field(24, ge=0)
    slots_to_offer: int = Field(3, ge=1, le=10)
    followup_after_business_days: int = Field(7, ge=1, le=60)
    max_followups: int = Field(1, ge=0, le=5)
    cadence: Cadence = Cadence.SIMPLE
    thankyou_after_hours: float = Field(2, ge=0, le=72)
    keep_in_touch_after_days: int = Field(90, ge=7)
    digest_at: str = Field("08:00", description="HH:MM in your zone.")
    digest_always: bool = Field(False, description="Send the digest even when it is empty.")
    holidays_country: str | None = Field(None, description="ISO country code, e.g. US or DE.")
    holidays_subdivision: str | None = Field(None, description="State or province, e.g. CA.")
    location: str = Field("", description="Phone number, video link or a place.")

    @field_validator("working_days", mode="before")
    @classmethod
    def _days(cls, value: Any) -> list[str]:
        if isinstance(value, str):
            value = parse_day_spec(value)
        days = [str(d).strip().lower()[:3] for d in value]
        bad = [d for d in days if d not in WEEKDAYS]
        if bad:
            raise ValueError(f"unknown day(s) {bad}; use mon..sun or a range like Mon-Fri")
        if not days:
            raise ValueError("at least one working day is needed")
        return days

    @field_validator("working_hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        start, end = parse_hours(value)
        if start >= end:
            raise ValueError(f"{value!r}: the end must come after the start")
        return value

    @field_validator("digest_at")
    @classmethod
    def _digest_at(cls, value: str) -> str:
        parse_hhmm(value)
        return value

    @field_validator("holidays_country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        if not value or value.lower() == "none":
            return None
        import holidays as holidays_lib

        if value.upper() not in holidays_lib.list_supported_countries():
            raise ValueError(f"{value!r} is not a country the holidays library knows")
        return value.upper()

    @property
    def weekday_numbers(self) -> frozenset[int]:
        return frozenset(WEEKDAYS.index(d) for d in self.working_days)

    @property
    def hours(self) -> tuple[time, time]:
        return parse_hours(self.working_hours)

    @property
    def digest_time(self) -> time:
        return parse_hhmm(self.digest_at)


class SendingMode(StrEnum):
    SEND = "send"
    DRAFTS = "drafts"


class SendingSettings(_Section):
    mode: SendingMode = Field(SendingMode.SEND, description="send, or drafts: write to Drafts.")
    max_per_hour: int = Field(20, ge=1, le=1000)
    send_window: Literal["recipient_working_hours"] = "recipient_working_hours"
    append_to_sent: Literal["auto", "yes", "no"] = Field(
        "auto", description="Copy sent mail to Sent; auto: not for Gmail / Microsoft 365."
    )


class TemplateSettings(_Section):
    dir: Path | None = Field(None, description="Your templates; a file here overrides ours.")

    @field_validator("dir")
    @classmethod
    def _dir_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.expanduser().is_dir():
            raise ValueError(f"no such directory: {value}")
        return value.expanduser() if value else None


class LoggingSettings(_Section):
    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["auto", "json", "console"] = Field(
        "auto", description="auto: readable on a terminal, JSON lines otherwise."
    )


class AccountSettings(_Section):
    """One more mailbox served by the same process and store (``[[accounts]]``).

    Sections not given here (schedule, sending, templates) are inherited from the top level.
    """

    name: str = Field(description="A short name for --account, e.g. work.")
    owner: OwnerSettings
    imap: ImapSettings | None = None
    smtp: SmtpSettings | None = None
    caldav: CaldavSettings | None = None
    schedule: ScheduleSettings | None = None
    sending: SendingSettings | None = None
    templates: TemplateSettings | None = None


class Settings(BaseSettings):
    """All sections. Environment variables override the file: COFFEECHAT_IMAP__PASSWORD=..."""

    model_config = SettingsConfigDict(
        extra="forbid",
        frozen=True,
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        case_sensitive=False,
    )

    owner: OwnerSettings
    imap: ImapSettings | None = None
    smtp: SmtpSettings | None = None
    caldav: CaldavSettings | None = None
    database: DatabaseSettings = Field(default_factory=lambda: DatabaseSettings())
    schedule: ScheduleSettings = Field(default_factory=lambda: ScheduleSettings())
    sending: SendingSettings = Field(default_factory=lambda: SendingSettings())
    templates: TemplateSettings = Field(default_factory=lambda: TemplateSettings())
    logging: LoggingSettings = Field(default_factory=lambda: LoggingSettings())
    accounts: list[AccountSettings] = Field(
        default_factory=list, description="More mailboxes in one process ([[accounts]] tables)."
    )

    _source: Path | None = PrivateAttr(None)

    @model_validator(mode="after")
    def _distinct_accounts(self) -> Settings:
        names = [a.name for a in self.accounts]
        owners = [self.owner.email.lower(), *(a.owner.email.lower() for a in self.accounts)]
        if len(set(names)) != len(names) or "default" in names:
            raise ValueError("each [[accounts]] needs its own name (and not 'default')")
        if len(set(owners)) != len(owners):
            raise ValueError("two accounts have the same owner email; each mailbox once")
        return self

    def account_names(self) -> list[str]:
        return ["default", *(a.name for a in self.accounts)]

    def for_account(self, name: str | None) -> Settings:
        """The settings one account's services see: its owner and servers, shared the rest."""
        if name in (None, "default"):
            return self
        for acct in self.accounts:
            if acct.name == name:
                update: dict[str, Any] = {
                    "owner": acct.owner, "imap": acct.imap, "smtp": acct.smtp,
                    "caldav": acct.caldav, "accounts": [],
                }  # fmt: skip
                for section in ("schedule", "sending", "templates"):
                    if getattr(acct, section) is not None:
                        update[section] = getattr(acct, section)
                derived = self.model_copy(update=update)
                derived._source = self._source
                return derived
        raise SettingsError(
            f"no account named {name!r}; accounts: {', '.join(self.account_names())}"
        )

    def all_accounts(self) -> list[Settings]:
        return [self.for_account(n) for n in self.account_names()]

    @property
    def source(self) -> Path | None:
        """The file these settings were read from (None when built in code)."""
        return self._source

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The file arrives as init values; the environment wins over it.
        return (env_settings, init_settings)


def check_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not an IANA time zone (e.g. Europe/Berlin)") from None
    return value


_ADDRESS = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")


def check_address(value: str) -> str:
    value = value.strip()
    if not _ADDRESS.match(value) or any(c in value for c in "\r\n"):
        raise ValueError(f"{value!r} is not an email address")
    return value


def parse_hhmm(value: str) -> time:
    m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", value)
    if not m or int(m.group(1)) > 24 or int(m.group(2)) > 59:
        raise ValueError(f"{value!r} is not a time like 09:30")
    hour, minute = int(m.group(1)), int(m.group(2))
    if hour == 24:
        if minute:
            raise ValueError(f"{value!r} is not a time like 09:30")
        return time(23, 59, 59, 999999)
    return time(hour, minute)


def parse_hours(value: str) -> tuple[time, time]:
    parts = value.split("-")
    if len(parts) != 2:
        raise ValueError(f"{value!r} is not a range like 09:00-17:00")
    return parse_hhmm(parts[0]), parse_hhmm(parts[1])


def parse_day_spec(value: str) -> list[str]:
    """'Mon-Fri', 'mon,tue,thu' or 'Mon-Wed, Fri' -> ['mon', ...]."""
    days: list[str] = []
    for chunk in value.split(","):
        chunk = chunk.strip().lower()
        if not chunk:
            continue
        if "-" in chunk:
            a, b = (p.strip()[:3] for p in chunk.split("-", 1))
            if a not in WEEKDAYS or b not in WEEKDAYS:
                raise ValueError(f"unknown day range {chunk!r}")
            i, j = WEEKDAYS.index(a), WEEKDAYS.index(b)
            span = range(i, j + 1) if i <= j else [*range(i, 7), *range(0, j + 1)]
            days.extend(WEEKDAYS[k] for k in span)
        else:
            days.append(chunk[:3])
    return days


# ---------------------------------------------------------------- loading


def resolve_config_path(explicit: Path | None, environ: Mapping[str, str] | None = None) -> Path:
    """--config, else $COFFEECHAT_CONFIG, else the XDG config dir."""
    environ = os.environ if environ is None else environ
    if explicit is not None:
        return explicit.expanduser()
    if environ.get(ENV_CONFIG):
        return Path(environ[ENV_CONFIG]).expanduser()
    return default_config_path()


def load_settings(path: Path) -> Settings:
    """Read the file, lay the environment over it, validate. Raises SettingsError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SettingsError(
            f"{path}: no settings file here; run `coffeechat init --config {path}` to write one"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: cannot read the settings file: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML: {exc}") from None
    return settings_from_mapping(data, path)


def settings_from_mapping(data: Mapping[str, Any], path: Path | None = None) -> Settings:
    """Validate a mapping (the parsed file) with COFFEECHAT_* environment variables over it."""
    try:
        settings = Settings(**dict(data))
    except ValidationError as exc:
        raise SettingsError(_describe(exc, path)) from None
    settings._source = path
    return settings


def _describe(exc: ValidationError, path: Path | None) -> str:
    where = str(path) if path else "settings"
    lines = []
    for err in exc.errors(include_url=False):
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling against config/coffeechat.example.toml)"
        elif err["type"] == "missing":
            msg = "required key is missing"
        lines.append(f"{where}: [{key}] {msg}")
    return "\n".join(lines)
