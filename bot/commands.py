"""The commands behind the CLI: wiring settings to the pipeline and printing results."""

from __future__ import annotations

import getpass
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Sequence, TextIO

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.config import PolicySettings, Settings, secret
from bot.console import (
    PrintingAsker,
    ProgressPrinter,
    print_abandonment,
    print_code_lists,
    print_dry_run,
    print_posting,
    print_run,
)
from bot.errors import ConfigError, InputError, UsageError
from bot.i18n import N_, Translator
from bot.masterdata import MasterData, load_master_data
from bot.pipeline import Pipeline, RunReport, move_message
from bot.ports import Asker, ErpUnavailable, VoucherPoster
from bot.posting.codes import compare_codes, erp_name
from bot.posting.notify import notify_controllers
from bot.posting.run import PostingResult, abandon, error_text, run_posting, traceback_wanted
from bot.store.codes import replace_erp_codes
from bot.store.database import InvalidStoreUrl, Store
from bot.store.masterdata_sync import sync_master_data
from connectors import build_poster
from connectors.files import FileExporter, exported_files

if TYPE_CHECKING:
    from bot.nlp.rules import KeywordRule
    from bot.nlp.training import TrainingResult

log = logging.getLogger(__name__)


def build_pipeline(settings: Settings, *, asker: Asker | None = None, poster: VoucherPoster | None = None,
                   progress=None, translator: Translator | None = None) -> Pipeline:
    """Open the store, load master data and the rules; the caller trains the classifier when it needs it.

    Only a pipeline given a ``poster`` can post, so commands that never post
    need no ERP credentials.
    """
    translator = translator or Translator(settings.language)
    master = _master_data(settings)

    store = open_store(settings)
    with store.session() as session:
        sync_master_data(session, master)

    # Imported here because loading spaCy and scikit-learn takes seconds that post and audit do not need.
    from bot.nlp.classifier import Classifier

    classifier = Classifier(master, configured_rules(settings, master))
    return Pipeline(settings, store, master, classifier,
                    asker or PrintingAsker(master, translator),
                    poster, progress)


def configured_rules(settings: Settings, master: MasterData) -> list[KeywordRule]:
    """Return the [[rules]] of the settings, checked against master data."""
    from bot.nlp.rules import KeywordRule, check_rules

    rules = [KeywordRule(keywords=rule.keywords, unspsc_prefix=rule.unspsc_prefix, cost_center=rule.cost_center,
                         project=rule.project, account=rule.account, tax_code=rule.tax_code)
             for rule in settings.rules]
    try:
        check_rules(rules, master)
    except ValueError as exc:
        raise ConfigError(settings_file(settings), N_("invalid rule: {reason}"), location=N_("key {key}"),
                          fix=N_("correct the [[rules]] entry against the master data"),
                          key="rules", reason=str(exc)) from None
    return rules


def ingest(settings: Settings, files: Sequence[Path]) -> int:
    require_files(files, "*.eml")
    with opened_poster(settings) as poster:
        return _ingest(settings, files, poster)


def _ingest(settings: Settings, files: Sequence[Path], poster: VoucherPoster) -> int:
    translator = Translator(settings.language)
    pipeline = build_pipeline(settings, translator=translator, progress=ProgressPrinter(translator), poster=poster)
    asker = pipeline.asker if isinstance(pipeline.asker, PrintingAsker) else None

    # Taking the files in needs no model, so bad files are reported before the seconds of training.
    # Each file is stored on its own, so one bad file does not keep the others out.
    report = RunReport()
    failed = 0
    for path in files:
        try:
            if path.suffix.lower() == ".eml":
                part = pipeline.ingest_mail(path)
            else:
                part = pipeline.ingest_files([path])
        except InputError as exc:
            log.error("file %s rejected: %s", path, exc)
            pipeline.record_rejection(path, exc)
            print(f"allocbot: {exc.describe(translator)}", file=sys.stderr)
            failed += 1
            continue
        report.add(part)

    if failed == len(files):
        print("allocbot: " + translator("no file was taken in; correct the files above and run ingest again"),
              file=sys.stderr)
        return 1

    prepare_classifier(pipeline, translator)
    pipeline.process(report)
    posting = pipeline.post()
    print_run(report, pipeline.master, translator, posting=posting, files=written_files(pipeline.poster, posting),
              out=sys.stdout, asker=asker)
    if failed:
        print("allocbot: " + translator("{failed} of {count} files were not taken in; correct them and run ingest "
                                        "again with those files", failed=failed, count=len(files)), file=sys.stderr)
        return 1
    return 1 if posting.failed else 0


def prepare_classifier(pipeline: Pipeline, translator: Translator) -> None:
    """Load or train the model; without usable history, warn and go on with master data and rules alone."""
    from bot.nlp.classifier import TrainingDataError

    try:
        result = pipeline.prepare_classifier()
    except TrainingDataError as exc:
        log.warning("no model trained: %s", exc)
        print("allocbot: " + translator("warning: {problem}; suggestions come from master data and rules only, "
                                        "with low confidence", problem=exc.describe(translator)), file=sys.stderr)
        return
    if result is not None:
        print_training(result, pipeline.classifier.version, pipeline.settings.policy, translator)


def ingest_inbox(pipeline: Pipeline, inbox: Path) -> RunReport:
    """Take in every .eml in ``inbox``, moving each to ``processed/`` or ``failed/`` beside it."""
    report = RunReport()
    for path in sorted(inbox.glob("*.eml")):
        try:
            part = pipeline.ingest_mail(path)
        except InputError as exc:
            log.error("message %s failed: %s", path.name, exc)
            pipeline.record_rejection(move_message(path, inbox / "failed"), exc)
            continue
        except Exception as exc:
            # One unexpected fault must not stop the inbox: the message is kept for a person to look at.
            log.exception("message %s failed unexpectedly", path.name)
            error = InputError(path.name, N_("unexpected error: {reason}"),
                               fix=N_("report this to the allocbot operators"), reason=str(exc))
            pipeline.record_rejection(move_message(path, inbox / "failed"), error)
            continue
        move_message(path, inbox / "processed")
        report.add(part)
    return report


def learn(settings: Settings, files: Sequence[Path]) -> int:
    require_files(files, "*.csv")
    translator = Translator(settings.language)
    pipeline = build_pipeline(settings, translator=translator, progress=ProgressPrinter(translator))
    added, known = pipeline.learn(files)
    print(translator("Imported {count} labeled items.", count=added))
    if known:
        # NOTE: a corrected label in a file learned before is not taken over yet.
        print(translator("{count} items were learned before and kept their allocation.", count=known))

    if not added:
        # Nothing new to learn: the current version stays, or is trained if there is none yet.
        prepare_classifier(pipeline, translator)
        print(translator("Model {version} is up to date.", version=pipeline.classifier.version))
        return 0
    result = pipeline.train()
    print_training(result, pipeline.classifier.version, pipeline.settings.policy, translator)
    return 0


def print_training(result: TrainingResult, version: str, policy: PolicySettings, translator: Translator,
                   out: TextIO | None = None) -> None:
    """Print what a training run measured in its replay and which threshold it derived."""
    from bot.nlp.classifier import MIN_TRAINING_EXAMPLES

    out = out or sys.stdout
    _ = translator
    print(_("Model {version} trained on {count} items; in a replay it was right for {accuracy} of them.",
            version=version, count=result.training_size, accuracy=translator.percent(result.metrics["accuracy"])),
          file=out)
    if result.training_size < MIN_TRAINING_EXAMPLES:
        print(_("With fewer than {count} decided items no model is fitted yet: suggestions come from earlier "
                "decisions, rules and master data, with low confidence.", count=MIN_TRAINING_EXAMPLES), file=out)
    if result.threshold is None:
        print(_("Too little history to derive a confidence threshold; the configured "
                "policy.confidence_threshold of {threshold} applies.",
                threshold=translator.percent(policy.confidence_threshold)), file=out)
    elif result.threshold >= 1.0:
        print(_("No confidence threshold reached the target precision of {target} in the replay, so nothing "
                "is booked automatically; lower policy.target_precision to book automatically.",
                target=translator.percent(policy.target_precision)), file=out)
        if result.best_precision is not None:
            print(_("The best precision reached was {precision}.", precision=translator.percent(result.best_precision)),
                  file=out)
    else:
        print(_("Items at a confidence of {threshold} or more are booked automatically (target precision {target}).",
                threshold=translator.percent(result.threshold), target=translator.percent(policy.target_precision)),
              file=out)


def post(settings: Settings, *, dry_run: bool = False, retry_rejected: bool | str = False) -> int:
    """Post the approved allocations, or with ``dry_run`` print the vouchers a run would send.

    ``retry_rejected`` releases the items of rejected vouchers first: True
    for all of them, or one voucher's number. The master data snapshot is
    refreshed from the file first, as every command that builds the
    pipeline does, because the code check reads it. A real run sends what
    it leaves for the controllers to their Slack channel too.
    """
    translator = Translator(settings.language)
    check_export_folder(settings)
    store = open_store(settings)
    master = _master_data(settings)
    with store.session() as session:
        sync_master_data(session, master)

    with opened_poster(settings) as poster:
        result = run_posting(store, poster, settings, translator, dry_run=dry_run, retry_rejected=retry_rejected,
                             actor=cli_actor())
        if dry_run:
            print_dry_run(result, translator, sys.stdout)
        else:
            print_posting(result, translator, sys.stdout, files=written_files(poster, result))
            notify_controllers(result, settings)
    return 1 if result.failed else 0


def post_abandon(settings: Settings, number: str) -> int:
    """End a voucher left sending: record it posted if the ERP has it, else reject it and free its items."""
    translator = Translator(settings.language)
    store = open_store(settings)
    with opened_poster(settings) as poster:
        abandonment = abandon(store, poster, number, cli_actor(), translator)
    print_abandonment(abandonment, translator, sys.stdout)
    return 1 if abandonment.unavailable or abandonment.failure else 0


def cli_actor() -> str:
    """Return the login name of the person running the command, for the audit log."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        # getpass finds no name without LOGNAME, USER or a passwd entry, as in some containers.
        log.warning("cannot tell who runs allocbot; the audit log names the actor %r", "unknown user")
        return "unknown user"


@contextmanager
def opened_poster(settings: Settings) -> Iterator[VoucherPoster]:
    """Build the configured connector and close it at the end of the block, also on errors.

    Closing logs the SAP Business One connector out of its Service Layer
    session and closes the HTTP clients of the ERP connectors. The file
    connectors have nothing to close.
    """
    poster = build_poster(settings)
    try:
        yield poster
    finally:
        close = getattr(poster, "close", None)
        if close is not None:
            close()


def written_files(poster: VoucherPoster | None, result: PostingResult) -> list[str]:
    """Return the files a file connector wrote in the run; none for an ERP connector."""
    if not isinstance(poster, FileExporter):
        return []
    return exported_files([outcome.external_id for outcome in result.with_status("posted") if not outcome.found])


def masterdata_sync(settings: Settings) -> int:
    """Store the ERP's accounts, cost centers, projects and VAT codes, and print how they differ from master data."""
    translator = Translator(settings.language)
    master = _master_data(settings)
    with opened_poster(settings) as poster:
        erp = erp_name(poster.name)
        read_lists = getattr(poster, "master_lists", None)
        if read_lists is None:
            print(translator("The {erp} connector reads no lists from an ERP: codes are checked against the master "
                             "data file when vouchers are posted.", erp=erp))
            return 0

        try:
            entries = read_lists()
        except ErpUnavailable as error:
            log.error("masterdata sync: %s unreachable: %s", poster.name, error.reason)
            print("allocbot: " + translator("{erp} could not be reached: {reason}; the stored lists are unchanged. "
                                            "Run allocbot masterdata sync again later.", erp=erp, reason=error.reason),
                  file=sys.stderr)
            return 1
        except ConfigError:
            raise
        except Exception as error:
            log.error("masterdata sync: connector %s failed while reading its lists: %s", poster.name, error,
                      exc_info=traceback_wanted(error))
            print("allocbot: " + translator("{erp} failed while its lists were read: {reason}; the stored lists are "
                                            "unchanged.", erp=erp, reason=error_text(error, translator)),
                  file=sys.stderr)
            return 1

    store = open_store(settings)
    with store.session() as session:
        replace_erp_codes(session, poster.name, entries)
    print_code_lists(poster.name, entries, compare_codes(master, entries), translator, sys.stdout)
    return 0


def demo(settings: Settings, *, language: str | None, workspace: Path | None, seed: int, post: bool = True) -> int:
    """Run the demo; without ``post`` it leaves the approved allocations unposted for ``allocbot post`` to send."""
    from bot.demo import run_demo

    return run_demo(settings, language=language, workspace=workspace, seed=seed, post=post)


def open_store(settings: Settings, *, existing: bool = False) -> Store:
    """Open and migrate the configured database; an unusable URL is a configuration error.

    With ``existing``, a SQLite file that does not exist is a configuration
    error instead of a new empty store: commands that only read the store
    would otherwise report on an empty one when run without ``--config``.
    """
    if existing:
        _require_sqlite_file(settings)
    try:
        store = Store(_store_url(settings))
    except InvalidStoreUrl as exc:
        raise ConfigError(settings_file(settings), N_("invalid database URL: {reason}"), location=N_("key {key}"),
                          fix=N_("see config.example.toml for the expected value"),
                          key="store.url", reason=str(exc)) from None
    store.migrate()
    return store


def _require_sqlite_file(settings: Settings) -> None:
    try:
        url = make_url(settings.store.url)
    except ArgumentError:
        return  # Store reports the unusable URL
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return
    path = Path(url.database)
    if not path.exists():
        raise ConfigError(settings_file(settings), N_("the database {path} does not exist"), location=N_("key {key}"),
                          fix=N_("pass --config with the settings of your installation, or correct store.url"),
                          key="store.url", path=str(path.resolve()))


def _store_url(settings: Settings) -> str:
    """Return store.url with the password from ALLOCBOT_DB_PASSWORD when the URL has none."""
    password = secret("store_password")
    if not password:
        return settings.store.url
    try:
        url = make_url(settings.store.url)
    except ArgumentError:
        return settings.store.url  # Store reports the unusable URL
    if url.password is not None:
        return settings.store.url
    return url.set(password=password).render_as_string(hide_password=False)


def require_files(files: Sequence[Path], pattern: str) -> None:
    for path in files:
        if path.is_dir():
            raise UsageError(path, N_("is a folder, not a file"), fix=N_("pass the files in it, such as {pattern}"),
                             pattern=f"{path}/{pattern}")
        if not path.is_file():
            raise UsageError(path.resolve(), N_("file not found"), fix=N_("check the path"))


FILE_CONNECTORS = ("file", "csv", "json", "datev")


def check_export_folder(settings: Settings) -> None:
    """Raise ConfigError unless a file connector's export folder is, or can become, a folder allocbot may write to.

    Nothing is created, so a dry run is checked too. Without this check a
    wrong export_dir would surface only while vouchers are sent, and they
    would wait as "sending" for the next run.
    """
    if settings.export.connector not in FILE_CONNECTORS:
        return
    folder = settings.export.export_dir
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if existing.is_dir() and os.access(existing, os.W_OK | os.X_OK):
        return
    reason = N_("{path} is not a folder") if existing.exists() and not existing.is_dir() \
        else N_("allocbot may not write to {path}")
    raise ConfigError(settings_file(settings), (N_("invalid value {value}"), reason), location=N_("key {key}"),
                      fix=N_("set export.export_dir to a folder allocbot may write to"),
                      key="export.export_dir", value=repr(str(folder)), path=str(existing))


def settings_file(settings: Settings) -> str:
    """Return the settings file's path, or a message id for the built-in defaults."""
    return str(settings.source) if settings.source else N_("built-in defaults")


def _master_data(settings: Settings) -> MasterData:
    if settings.master_data is None:
        raise ConfigError(settings_file(settings), N_("master_data is not set"), location=N_("key {key}"),
                          fix=N_("set master_data to the path of the master data TOML file"), key="master_data")
    try:
        return load_master_data(settings.master_data)
    except InputError as exc:
        # Master data is configuration: a fault in it stops the program like a bad setting.
        fix = (exc.fix, N_("the file is set by master_data in {settings_file}")) if exc.fix else None
        raise ConfigError(settings.master_data.resolve(), exc.message, location=exc.location, fix=fix,
                          settings_file=settings_file(settings), **exc.params) from None
