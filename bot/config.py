"""Settings from a TOML file plus secrets from environment variables.

A missing file means the built-in defaults (SQLite under ``./var/``, file
export, questions printed). Every key is validated on load. A wrong value
raises ConfigError naming the file, the key, the value and what is expected,
and the command line turns that into exit status 2.

Secrets are never read from the file: the names of the environment variables
that carry them are listed in ``SECRET_VARIABLES``, except the mailbox's and
the SMTP server's, whose variables the file names (``password_env``).
"""

from __future__ import annotations

import os
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from bot.errors import ConfigError
from bot.i18n import N_
from bot.tomlfile import read_toml

if TYPE_CHECKING:
    from bot.documents.statement_layout import StatementLayout

DEFAULT_CONFIG = Path("config.toml")

SECRET_VARIABLES = {
    "slack_bot_token": "SLACK_BOT_TOKEN",
    "slack_signing_secret": "SLACK_SIGNING_SECRET",
    "slack_app_token": "SLACK_APP_TOKEN",
    "store_password": "ALLOCBOT_DB_PASSWORD",
}


class _Section(BaseModel):
    # Account numbers and codes are strings, but people write card_account = 2400 unquoted.
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]

_EMAIL = r"^[^@\s]+@[^@\s]+$"


def _clock(value: str) -> str:
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
        raise PydanticCustomError("clock", "expected a time HH:MM")
    return value


Clock = Annotated[str, AfterValidator(_clock)]


def _month_day(value: str) -> str:
    """Return the day as MM-DD, accepting "7-1" for "07-01"."""
    # 2023 has no 29 February, so a fiscal year cannot start on a day that only leap years have.
    try:
        month, day = (int(part) for part in value.split("-"))
        date(2023, month, day)
    except ValueError:
        raise PydanticCustomError("month_day", "expected a date MM-DD") from None
    return f"{month:02d}-{day:02d}"


MonthDay = Annotated[str, AfterValidator(_month_day)]


def _checked_crontab(value: str) -> str:
    from bot.jobs import CrontabError, crontab_trigger

    try:
        crontab_trigger(value)
    except CrontabError as exc:
        if not exc.field:
            raise PydanticCustomError("crontab", "invalid crontab expression") from None
        raise PydanticCustomError("crontab_field", "invalid crontab field", {"position": exc.field}) from None
    return value


class StoreSettings(_Section):
    url: str = "sqlite:///var/allocbot.db"


class MailSettings(_Section):
    inbox_dir: Path = Path("var/inbox")
    documents_dir: Path = Path("var/documents")


_ENV_NAME = r"^([A-Za-z_][A-Za-z0-9_]*)?$"
_SENDER = r"^([^@\s]+@)?[^@\s]+\.[^@\s]+$"


class MailboxSettings(_Section):
    """The IMAP mailbox controllers forward to; an empty host means no mailbox is polled."""

    host: str = ""
    port: int = Field(993, ge=1, le=65535)
    # "tls": TLS from the first byte (port 993); "starttls": plain connection upgraded with STARTTLS (port 143).
    security: Literal["tls", "starttls"] = "tls"
    username: str = ""
    # Names of the environment variables with the password, or with an OAuth2 access token for XOAUTH2
    # (Microsoft 365, Google Workspace). The token is used when its variable is named and set.
    password_env: str = Field("ALLOCBOT_IMAP_PASSWORD", pattern=_ENV_NAME)
    oauth2_token_env: str = Field("", pattern=_ENV_NAME)
    folder: str = "INBOX"
    processed_folder: str = "Behandlet"
    failed_folder: str = "Feilet"
    rejected_folder: str = "Avvist"
    # Addresses (ola@example.no) or whole domains (example.no); empty accepts any sender.
    allowed_senders: tuple[Annotated[str, Field(pattern=_SENDER)], ...] = ()
    poll_seconds: int = Field(60, ge=5)
    max_attachment_mb: float = Field(20, gt=0)


class SmtpSettings(_Section):
    """The server replies to the senders go through; an empty host means replies are not sent."""

    host: str = ""
    port: int = Field(587, ge=1, le=65535)
    security: Literal["tls", "starttls"] = "starttls"
    username: str = ""
    password_env: str = Field("ALLOCBOT_SMTP_PASSWORD", pattern=_ENV_NAME)
    from_address: str = ""


class PolicySettings(_Section):
    # Used only until a model version carries a threshold derived from target_precision.
    confidence_threshold: float = Field(0.80, ge=0.0, le=1.0)
    target_precision: float = Field(0.98, gt=0.0, le=1.0)
    review_threshold: Money = Decimal("5000")
    capitalization_limit: Money = Decimal("30000")
    gift_accounts: tuple[str, ...] = ("7420", "7430")
    representation_accounts: tuple[str, ...] = ("7350", "7360")
    fixed_asset_accounts: tuple[str, ...] = ("1200", "1250", "1270", "1280")
    # Word beginnings in a title that mark a likely gift, whatever account the model suggests.
    gift_words: tuple[str, ...] = ("gave", "geschenk", "gift")
    # Emails of people who approve when the requester has no manager (or is their own manager);
    # empty means the controllers approve.
    approvers: tuple[Annotated[str, Field(pattern=_EMAIL)], ...] = ()
    # Where a private purchase is booked: a receivable on the employee, who repays it.
    private_account: str = Field("1570", pattern=r"^\d{4,8}$")
    private_tax_code: str = "0"


class ModelSettings(_Section):
    dir: Path = Path("var/models")
    # A full retrain starts once this many new human answers have come in since the last one.
    retrain_after_answers: int = Field(25, ge=1)
    # Crontab expression (minute hour day month weekday) of the scheduled full retrain.
    retrain_cron: str = "0 2 * * *"

    @field_validator("retrain_cron")
    @classmethod
    def _valid_crontab(cls, value: str) -> str:
        return _checked_crontab(value)
    # Model versions kept on disk, the current one included.
    keep_versions: int = Field(10, ge=1)


class ServiceSettings(_Section):
    """The long-running bot (``allocbot run``): replicas, scheduled jobs, health endpoint and logs."""

    # This replica's name in logs, leases and job runs; empty means "<host name>-<process id>".
    replica: str = Field("", max_length=100)
    # Address of the health endpoint (/healthz) and the Prometheus metrics (/metrics); port 0 turns both off.
    health_host: str = "127.0.0.1"
    health_port: int = Field(9464, ge=0, le=65535)
    log_format: Literal["text", "json"] = "text"
    # How long a replica's claim on the mailbox or on a scheduled run lasts without renewal.
    # After it lapses, another replica takes the work over.
    lease_seconds: int = Field(60, ge=10, le=3600)
    # Crontab expression of the posting run that posts new approvals and retries failed vouchers.
    post_cron: str = "*/30 * * * *"
    # A scheduled run missed by at most this much (a busy or restarted bot) still runs, once.
    misfire_grace_seconds: int = Field(900, ge=1)
    # How long SIGTERM waits for the work in progress before the bot exits.
    shutdown_seconds: int = Field(30, ge=1, le=3600)

    @field_validator("post_cron")
    @classmethod
    def _valid_crontab(cls, value: str) -> str:
        return _checked_crontab(value)


class AuditSettings(_Section):
    # Fiscal years to keep audit events. The Norwegian Bookkeeping Act keeps documentation
    # of postings for five years after the end of the fiscal year, so fewer are refused.
    retention_years: int = Field(5, ge=5, le=100)


class ReportSettings(_Section):
    """The monthly report to the controllers."""

    enabled: bool = True
    # Crontab expression, in Europe/Oslo time, of the report on the month before.
    cron: str = "0 7 1 * *"
    # Manual work that one item took before allocbot, and what an hour of it costs (NOK), for "hours saved".
    minutes_per_item: float = Field(4.0, gt=0, le=600)
    hourly_cost: Money = Decimal("650")
    # Addresses that get the report by email; the Slack copy goes to slack.controller_channel.
    recipients: tuple[Annotated[str, Field(pattern=_EMAIL)], ...] = ()

    @field_validator("cron")
    @classmethod
    def _valid_crontab(cls, value: str) -> str:
        return _checked_crontab(value)


class PrivacySettings(_Section):
    # Flag items whose title names a person (an employee in the master data or a common first name).
    flag_person_names: bool = True


_CODE = r"^[0-9A-Za-z._-]{1,20}$"


class DatevSettings(_Section):
    """The DATEV EXTF header's company fields and the VAT code to tax key (BU-Schlüssel) mapping."""

    consultant_number: int = Field(1001, ge=1001, le=9999999)   # Beraternummer
    client_number: int = Field(1, ge=1, le=99999)               # Mandantennummer
    fiscal_year_start: MonthDay = "01-01"                         # MM-DD
    account_length: int = Field(4, ge=4, le=8)                  # Sachkontenlänge
    chart_of_accounts: str = Field("", pattern=r"^(\d{2})?$")    # Sachkontenrahmen, such as "03" (SKR03)
    dictation_code: str = Field("", pattern=r"^[A-Z]{0,2}$")    # Diktatkürzel
    batch_label: str = Field("allocbot", max_length=30)        # Bezeichnung
    exported_by: str = Field("", max_length=25)
    # VAT code of the master data -> DATEV tax key. A VAT code missing here is booked without a tax key.
    tax_keys: dict[Annotated[str, Field(pattern=_CODE)], Annotated[str, Field(pattern=r"^\d{1,4}$")]] = {}


class TripletexSettings(_Section):
    base_url: str = Field("https://tripletex.no/v2", pattern=r"^https?://\S+$")
    consumer_token_env: str = Field("TRIPLETEX_CONSUMER_TOKEN", pattern=_ENV_NAME)
    employee_token_env: str = Field("TRIPLETEX_EMPLOYEE_TOKEN", pattern=_ENV_NAME)
    # 0 is the employee's own company; an accountant passes a client's company id.
    company_id: int = Field(0, ge=0)
    # Voucher type by name, such as "Leverandørfaktura"; empty leaves it to Tripletex.
    voucher_type: str = ""
    attach_statement: bool = True
    # Supplier number of the card issuer, for a clearing account on the supplier ledger (ledger type VENDOR).
    card_supplier_number: str = Field("", pattern=r"^[0-9A-Za-z-]{0,20}$")


class SapSettings(_Section):
    """SAP Business One Service Layer, such as https://b1.example.no:50000/b1s/v1."""

    base_url: str = Field("", pattern=r"^(https?://\S+)?$")
    company_db: str = ""
    username: str = ""
    password_env: str = Field("SAP_B1_PASSWORD", pattern=_ENV_NAME)
    # A Service Layer with a self-signed certificate: the CA file to trust, instead of turning checks off.
    ca_file: Path | None = None
    # VAT code -> input VAT account. A line whose VAT code is listed is posted net, with the VAT on that account.
    vat_accounts: dict[Annotated[str, Field(pattern=_CODE)], Annotated[str, Field(pattern=r"^\d{4,15}$")]] = {}


# The SAF-T standard VAT codes of domestic input VAT (regular, middle, raw fish and low rate). A card
# purchase booked with one of them paid the VAT within its price. Import VAT (14, 15) is paid to customs
# or the carrier, and VAT on goods and services bought abroad (81-89) is self-assessed, so neither is
# part of the card amount.
VAT_IN_PRICE = ("1", "11", "12", "13")


class ExportSettings(_Section):
    # "csv" (also under its old name "file") and "json" write files to export_dir, "datev" writes
    # DATEV EXTF files there, "tripletex" and "sap" post through the ERP's API.
    connector: Literal["file", "csv", "json", "datev", "tripletex", "sap"] = "csv"
    # One voucher per card statement, or one per item.
    grouping: Literal["statement", "item"] = "statement"
    export_dir: Path = Path("var/export")
    card_account: str = Field("2400", pattern=r"^\d{4,8}$")
    # Every amount allocbot posts is the card charge in NOK, so NOK is the only company currency yet.
    currency: Literal["NOK"] = "NOK"
    # ERP APIs: attempts per request on timeouts and 5xx responses, and the first pause between them.
    attempts: int = Field(4, ge=1, le=10)
    backoff_seconds: float = Field(1.0, ge=0, le=60)
    timeout_seconds: float = Field(30, gt=0, le=600)
    datev: DatevSettings = DatevSettings()
    tripletex: TripletexSettings = TripletexSettings()
    sap: SapSettings = SapSettings()
    # VAT codes whose VAT the card amount contains. Only lines with one of them carry a VAT rate, which
    # the CSV and JSON files and SAP split the gross amount by. The field comes after sap because its
    # check reads sap.vat_accounts, and validate_default runs that check when the file leaves it out.
    vat_in_price: tuple[Annotated[str, Field(pattern=_CODE)], ...] = Field(VAT_IN_PRICE, validate_default=True)

    @field_validator("vat_in_price")
    @classmethod
    def _covers_sap_vat_accounts(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        # A mapped code outside vat_in_price gets no rate on its lines, so SAP would post it gross and
        # never use the VAT account the mapping names. Such a mapping is a mistake, not a choice.
        sap = info.data.get("sap")
        if info.data.get("connector") != "sap" or sap is None:
            return value

        outside = sorted(set(sap.vat_accounts) - set(value))
        if outside:
            raise PydanticCustomError("vat_accounts_outside_vat_in_price", "SAP VAT codes missing in vat_in_price",
                                      {"codes": ", ".join(outside)})
        return value


class SlackSettings(_Section):
    # "http": Slack sends requests to request_url, checked with SLACK_SIGNING_SECRET.
    # "socket": the bot opens a WebSocket to Slack with the app-level token SLACK_APP_TOKEN.
    mode: Literal["http", "socket"] = "http"
    # Public HTTPS address of the bot's endpoint, written into the app manifest (HTTP mode).
    request_url: str = Field("", pattern=r"^(https?://\S+)?$")
    # Address and port the HTTP mode listens on; put a TLS reverse proxy in front.
    listen_host: str = "127.0.0.1"
    listen_port: int = Field(3000, ge=1, le=65535)
    path: str = Field("/slack/events", pattern=r"^/\S*$")
    # Slack's Web API; only Slack GovSlack or a test stand-in needs another address.
    api_url: str = Field("https://slack.com/api/", pattern=r"^https?://\S+/$")
    app_name: str = Field("allocbot", min_length=1, max_length=35)
    command: str = "/allocbot"
    # Channel id (such as C0123ABCD) for questions nobody else can answer, rejections and
    # items of people who are not in Slack.
    controller_channel: str = ""
    # Emails of the controllers, besides employees with role "controller" in master data.
    controllers: tuple[Annotated[str, Field(pattern=_EMAIL)], ...] = ()
    # Open items shown in one message; more items go into further messages.
    items_per_message: int = Field(8, ge=1, le=10)
    # Hours after which a person is reminded of an open question, and after which it
    # goes to their manager (or the controllers).
    remind_after_hours: float = Field(24, gt=0)
    escalate_after_hours: float = Field(72, gt=0)
    # Reminders and escalations are sent only on working days between these times.
    timezone: str = "Europe/Oslo"
    work_start: Clock = "08:00"
    work_end: Clock = "16:00"
    # How long a users.lookupByEmail result (found or not found) is trusted.
    lookup_cache_hours: float = Field(24, gt=0)

    @field_validator("work_end")
    @classmethod
    def _after_work_start(cls, value: str, info: ValidationInfo) -> str:
        # Both are "HH:MM", so text order is time order; a missing work_start failed its own check.
        start = info.data.get("work_start")
        if start is not None and value <= start:
            raise PydanticCustomError("working_hours", "work_end must come after work_start")
        return value

    @field_validator("controller_channel")
    @classmethod
    def _channel_id(cls, value: str) -> str:
        if value and not re.fullmatch(r"[CG][A-Z0-9]{2,}", value):
            raise PydanticCustomError("channel_id", "expected a channel id")
        return value

    @field_validator("command")
    @classmethod
    def _slash_command(cls, value: str) -> str:
        if not re.fullmatch(r"/[a-z0-9_-]{1,31}", value):
            raise PydanticCustomError("slash_command", "expected a slash command")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise PydanticCustomError("timezone", "unknown time zone") from None
        return value


class RuleSettings(_Section):
    keywords: tuple[str, ...] = ()
    unspsc_prefix: str | None = Field(None, pattern=r"^\d{2,8}$")
    cost_center: str | None = None
    project: str | None = None
    account: str | None = None
    tax_code: str | None = None


def _header_names(value: object) -> object:
    # A role takes one header name or a list of alternatives: date = "Dato" or date = ["Dato", "Kjøpsdato"].
    return (value,) if isinstance(value, str) else value


HeaderNames = Annotated[tuple[Annotated[str, Field(min_length=1)], ...], BeforeValidator(_header_names),
                        Field(min_length=1)]
StatementDateFormat = Literal["dd.mm.yyyy", "dd.mm.yy", "yyyy-mm-dd", "yyyy/mm/dd", "dd/mm/yyyy", "mm/dd/yyyy"]


class StatementColumnsSettings(_Section):
    """The header names of a statement layout's columns, by role (see `bot.documents.statement_layout.Role`)."""

    date: HeaderNames
    description: HeaderNames
    booking_date: HeaderNames | None = None
    counterparty: HeaderNames | None = None
    place: HeaderNames | None = None
    amount: HeaderNames | None = None
    debit: HeaderNames | None = None
    credit: HeaderNames | None = None
    currency: HeaderNames | None = None
    original: HeaderNames | None = None
    original_amount: HeaderNames | None = None
    original_currency: HeaderNames | None = None
    rate: HeaderNames | None = None
    card_holder: HeaderNames | None = None
    card_number: HeaderNames | None = None
    status: HeaderNames | None = None

    @model_validator(mode="after")
    def _one_way_per_amount(self) -> StatementColumnsSettings:
        two_columns = self.debit is not None or self.credit is not None
        if (self.amount is not None) == two_columns or (self.debit is None) != (self.credit is None):
            raise PydanticCustomError("statement_amount_columns", "expected amount, or debit and credit")
        if (self.original is not None and self.original_amount is not None) or (
                (self.original_amount is None) != (self.original_currency is None)):
            raise PydanticCustomError("statement_original_columns",
                                      "expected original, or original_amount and original_currency")
        return self


class StatementLayoutSettings(_Section):
    """A statement export layout that is not built in.

    Every column it names must be in the header for a file to be recognized as this layout.
    """

    name: str = Field(min_length=1)
    columns: StatementColumnsSettings
    # "debit_positive": purchases are positive numbers. "debit_negative": purchases are negative.
    sign: Literal["debit_positive", "debit_negative"] = "debit_positive"
    decimal: Literal[",", "."] = ","
    # "" recognizes ";", "," or a tab from the header line.
    delimiter: Literal["", ";", ",", "tab"] = ""
    date_formats: tuple[StatementDateFormat, ...] = Field(("dd.mm.yyyy", "dd.mm.yy", "yyyy-mm-dd", "yyyy/mm/dd"),
                                                          min_length=1)
    pending_markers: tuple[str, ...] = ("Reservert",)
    skip_texts: tuple[str, ...] = ()
    total_labels: tuple[str, ...] = ("Sum", "Summa", "Totalt", "Total")

    @field_validator("date_formats")
    @classmethod
    def _unambiguous(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if {"dd/mm/yyyy", "mm/dd/yyyy"} <= set(value):
            raise PydanticCustomError("statement_date_formats", "dd/mm/yyyy and mm/dd/yyyy together are ambiguous")
        return value

    def to_layout(self) -> StatementLayout:
        """Build the layout the statement parser reads."""
        from bot.documents.statement_layout import StatementLayout

        columns = {role: names for role, names in self.columns.model_dump().items() if names is not None}
        return StatementLayout(
            name=self.name,
            columns=columns,
            required=frozenset(columns),
            sign=self.sign,
            decimal=self.decimal,
            date_formats=self.date_formats,
            delimiter={"": None, "tab": "\t"}.get(self.delimiter, self.delimiter),
            pending_markers=self.pending_markers,
            skip_texts=self.skip_texts,
            total_labels=self.total_labels,
        )


class Settings(_Section):
    language: Literal["nb", "en"] = "nb"
    master_data: Path | None = None
    store: StoreSettings = StoreSettings()
    mail: MailSettings = MailSettings()
    mailbox: MailboxSettings = MailboxSettings()
    smtp: SmtpSettings = SmtpSettings()
    policy: PolicySettings = PolicySettings()
    model: ModelSettings = ModelSettings()
    export: ExportSettings = ExportSettings()
    slack: SlackSettings = SlackSettings()
    service: ServiceSettings = ServiceSettings()
    audit: AuditSettings = AuditSettings()
    report: ReportSettings = ReportSettings()
    privacy: PrivacySettings = PrivacySettings()
    rules: tuple[RuleSettings, ...] = ()
    # Statement exports that no built-in layout reads; tried before the built-in layouts.
    statement_layouts: tuple[StatementLayoutSettings, ...] = ()
    # Set by load_settings, not read from the file: the file the settings came from.
    source: Path | None = Field(None, exclude=True)

    @field_validator("statement_layouts")
    @classmethod
    def _distinct_layout_names(cls, value: tuple[StatementLayoutSettings, ...]) -> tuple[StatementLayoutSettings, ...]:
        names = [layout.name.casefold() for layout in value]
        if len(set(names)) != len(names):
            raise PydanticCustomError("statement_layout_names", "statement layout names must differ")
        return value


def configured_statement_layouts(settings: Settings) -> tuple[StatementLayout, ...]:
    """Return the layouts of ``[[statement_layouts]]``, for the statement parser's ``layouts`` argument."""
    return tuple(layout.to_layout() for layout in settings.statement_layouts)


def load_settings(path: Path | None = None) -> Settings:
    """Load settings from ``path`` (default ``config.toml``); defaults when the default file is absent.

    Relative paths in the file are resolved against the file's folder.
    """
    explicit = path is not None
    path = path or DEFAULT_CONFIG
    if not path.exists():
        if explicit:
            raise ConfigError(path, N_("configuration file not found"),
                              fix=N_("pass an existing file to --config or copy config.example.toml"))
        return Settings()

    raw = read_toml(path, ConfigError, unreadable_fix=N_("pass a readable file to --config"))

    if "source" in raw:
        raise ConfigError(path, N_("unknown key {value}"), location=KEY_LOCATION, fix=UNKNOWN_KEY_FIX,
                          key="source", value=repr("source"))
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        raise _config_error(path, raw, exc) from None
    return _resolve_paths(settings, path.parent).model_copy(update={"source": path})


def secret(name: str) -> str | None:
    """Read a secret from its environment variable; None when unset or empty."""
    return os.environ.get(SECRET_VARIABLES[name]) or None


def environment_secret(variable: str) -> str | None:
    """Read a secret from the environment variable a setting names; None when unnamed, unset or empty."""
    return (os.environ.get(variable) or None) if variable else None


KEY_LOCATION = N_("key {key}")
UNKNOWN_KEY_FIX = N_("remove it or check its spelling against config.example.toml")

# Message ids for pydantic's error types, by the type's name; their placeholders are filled from the error's ctx.
_EXPECTED = {
    "greater_than": N_("expected a number greater than {gt}"),
    "greater_than_equal": N_("expected a number of at least {ge}"),
    "less_than": N_("expected a number less than {lt}"),
    "less_than_equal": N_("expected a number of at most {le}"),
    "decimal_max_places": N_("expected at most {decimal_places} decimals"),
    "decimal_max_digits": N_("expected at most {max_digits} digits"),
    "int_parsing": N_("expected a whole number"),
    "int_type": N_("expected a whole number"),
    "int_from_float": N_("expected a whole number"),
    "float_parsing": N_("expected a number"),
    "float_type": N_("expected a number"),
    "decimal_parsing": N_("expected a number"),
    "decimal_type": N_("expected a number"),
    "string_type": N_("expected a text"),
    "bool_parsing": N_("expected true or false"),
    "bool_type": N_("expected true or false"),
    "tuple_type": N_("expected a list"),
    "list_type": N_("expected a list"),
    "model_type": N_("expected a table"),
    "dict_type": N_("expected a table"),
    "timezone": N_("expected an IANA time zone name, such as \"Europe/Oslo\""),
    "working_hours": N_("expected slack.work_end to come after slack.work_start"),
    "clock": N_("expected a time of day as HH:MM, such as \"08:00\""),
    "month_day": N_("expected a day of the year as MM-DD, such as \"07-01\", that every year has"),
    "channel_id": N_("expected a channel id such as C0123ABCD, shown at the bottom of the channel's details, "
                     "not the channel's name"),
    "slash_command": N_("expected a slash command such as /allocbot: a slash and up to 31 lowercase letters, "
                        "digits, - or _"),
    "string_too_long": N_("expected at most {max_length} characters"),
    "crontab": N_("expected five crontab fields: minute hour day month weekday, such as \"0 2 * * *\""),
    "statement_amount_columns": N_("expected either amount, or both debit and credit, among the columns"),
    "statement_original_columns": N_("expected either original, or both original_amount and original_currency, "
                                     "among the columns"),
    "statement_date_formats": N_("expected only one of \"dd/mm/yyyy\" and \"mm/dd/yyyy\", "
                                 "because they read the same date differently"),
    "statement_layout_names": N_("expected a different name for each statement layout"),
    "vat_accounts_outside_vat_in_price": N_("expected every VAT code that export.sap.vat_accounts maps in the list "
                                            "(missing: {codes}), because SAP can split off only VAT that the price "
                                            "contains. Add them to the list, or remove them from "
                                            "export.sap.vat_accounts"),
    "too_short": N_("expected a list with at least {min_length} value(s)"),
    "string_too_short": N_("expected at least {min_length} character(s)"),
    "crontab_field": N_("crontab field {position} is out of range or invalid; "
                        "minute 0-59, hour 0-23, day 1-31, month 1-12, weekday 0-7"),
}
_DIGITS_PATTERN = re.compile(r"\^\\d\{(\d+),(\d+)\}\$")


def _config_error(path: Path, raw: dict[str, Any], exc: ValidationError) -> ConfigError:
    """Describe pydantic's first error with our own message ids, or with pydantic's English text for rare cases."""
    first = exc.errors()[0]
    key = ".".join(str(part) for part in first["loc"])
    if first["type"] == "extra_forbidden":
        return ConfigError(path, N_("unknown key {value}"), location=KEY_LOCATION, fix=UNKNOWN_KEY_FIX,
                           key=key, value=repr(key))
    if first["type"] == "missing":
        return ConfigError(path, N_("the key is missing"), location=KEY_LOCATION,
                           fix=N_("add it; see config.example.toml for the expected value"), key=key)

    expected, params = _expected(first)
    return ConfigError(path, (N_("invalid value {value}"), expected), location=KEY_LOCATION,
                       fix=N_("see config.example.toml for the expected value"),
                       key=key, value=repr(first.get("input")), **params)


def _expected(error: ErrorDetails) -> tuple[str, dict[str, object]]:
    """Return a message id saying what value was expected, and its params."""
    # pydantic keeps a float limit such as le=1.0 as a float; 1 reads better than 1.0.
    context = {name: int(value) if isinstance(value, float) and value.is_integer() else value
               for name, value in error.get("ctx", {}).items()}
    if error["type"] in _EXPECTED:
        return _EXPECTED[error["type"]], context
    if error["type"] == "literal_error":
        # ctx["expected"] reads like "'nb' or 'en'"; the quoted values are kept and the English "or" is left out.
        return N_("expected one of {allowed}"), {"allowed": ", ".join(re.findall(r"'[^']*'", context["expected"]))}
    if error["type"] == "string_pattern_mismatch":
        digits = _DIGITS_PATTERN.fullmatch(context["pattern"])
        if digits:
            return N_("expected {min} to {max} digits"), {"min": digits[1], "max": digits[2]}
        if context["pattern"] == _EMAIL:
            return N_("expected an email address, such as \"controller@example.no\""), {}
    return N_("{reason}"), {"reason": error["msg"]}


# A SQLite URL with three slashes names a path relative to the working
# directory, and one with four slashes names an absolute path.
_SQLITE_URL = re.compile(r"^(?P<scheme>sqlite(?:\+\w+)?:///)(?P<database>[^?]*)(?P<query>\?.*)?$")


def _resolve_store_url(url: str, base: Path) -> str:
    match = _SQLITE_URL.match(url)
    if match is None:
        return url
    database = match["database"]
    if database in ("", ":memory:") or database.startswith("file:") or Path(database).is_absolute():
        return url
    return f"{match['scheme']}{base / database}{match['query'] or ''}"


def _resolve_paths(settings: Settings, base: Path) -> Settings:
    def resolve(value: Path) -> Path:
        return value if value.is_absolute() else base / value

    mail = settings.mail.model_copy(update={
        "inbox_dir": resolve(settings.mail.inbox_dir),
        "documents_dir": resolve(settings.mail.documents_dir),
    })
    sap = settings.export.sap
    if sap.ca_file is not None:
        sap = sap.model_copy(update={"ca_file": resolve(sap.ca_file)})
    export = settings.export.model_copy(update={"export_dir": resolve(settings.export.export_dir), "sap": sap})
    model = settings.model.model_copy(update={"dir": resolve(settings.model.dir)})
    master = resolve(settings.master_data) if settings.master_data else None
    store = settings.store.model_copy(update={"url": _resolve_store_url(settings.store.url, base)})
    return settings.model_copy(update={"mail": mail, "export": export, "model": model, "master_data": master,
                                       "store": store})
