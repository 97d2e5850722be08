"""The ``allocbot`` command.

Exit status: 0 on success, 1 on a failed run, 2 on bad usage or bad
configuration. Errors are printed as one line naming the file and field.
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import date
from pathlib import Path

from bot.config import Settings, load_settings
from bot.errors import AllocbotError, ConfigError, UsageError
from bot.i18n import N_, Translator
from bot.ops.logs import configure_logging

log = logging.getLogger("bot")


def build_parser() -> argparse.ArgumentParser:
    # The common options are accepted before and after the command; SUPPRESS keeps
    # a subcommand's absent option from overwriting a value given before it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", type=Path, default=argparse.SUPPRESS,
                        help="settings file (default: config.toml if present, else built-in defaults)")
    common.add_argument("--verbose", "-v", action="store_true", default=argparse.SUPPRESS,
                        help="log debug messages to stderr")

    parser = argparse.ArgumentParser(prog="allocbot", parents=[common],
                                     description="Allocate company card purchases to cost centers, projects, "
                                                 "accounts and VAT codes.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser("run", parents=[common],
                        help="run the bot until stopped: the Slack app, the mailbox job, reminders, retraining, "
                             "posting and the monthly report")
    demo = commands.add_parser("demo", parents=[common], help="run the whole flow offline on a generated sample company")
    demo.add_argument("--lang", choices=("nb", "en"), default=None, help="language of the output (default: the configured language, nb)")
    demo.add_argument("--workspace", type=Path, default=None,
                      help="folder for the demo's files (default: a new temporary folder)")
    demo.add_argument("--seed", type=int, default=2026, help="seed of the sample company generator")
    demo.add_argument("--no-post", action="store_true",
                      help="leave the approved allocations unposted, for allocbot post --dry-run and allocbot post")

    ingest = commands.add_parser("ingest", parents=[common], help="take in .eml messages, order reports or statements from disk")
    ingest.add_argument("files", nargs="+", type=Path, metavar="FILE")

    learn = commands.add_parser("learn", parents=[common], help="import labeled Amazon Business order reports as history")
    learn.add_argument("files", nargs="+", type=Path, metavar="FILE")

    evaluate = commands.add_parser("evaluate", parents=[common],
                                   help="replay labeled history in order-date order and print the learning curve")
    evaluate.add_argument("files", nargs="+", type=Path, metavar="FILE", help="labeled order report(s)")
    evaluate.add_argument("--master", type=Path, metavar="MASTER",
                          help="master data TOML file (default: master_data from the configuration)")
    evaluate.add_argument("--json", type=Path, metavar="OUT", help="write the replay metrics as JSON to OUT")
    evaluate.add_argument("--plot", type=Path, metavar="OUT.png",
                          help="draw accuracy and auto-booked share against items seen into a PNG file")
    evaluate.add_argument("--rate", action="append", default=[], metavar="CUR=NOK",
                          help="NOK per unit of a currency for the review threshold, e.g. EUR=11.52; repeatable")

    poll = commands.add_parser("poll", parents=[common],
                               help="read the configured IMAP mailbox once and reply to the senders")
    poll.add_argument("--once", action="store_true", help="poll once and exit (allocbot run keeps polling)")

    post = commands.add_parser("post", parents=[common], help="post approved allocations that are not posted yet")
    post_mode = post.add_mutually_exclusive_group()
    post_mode.add_argument("--dry-run", action="store_true",
                           help="print the vouchers a run would post and what it would hold back; store and send "
                                "nothing")
    post_mode.add_argument("--retry-rejected", nargs="?", const=True, default=False, metavar="NUMBER",
                           type=_voucher_number,
                           help="after correcting the cause in the ERP or the master data: post the items of the "
                                "rejected voucher NUMBER, or of every rejected voucher, on new vouchers")
    post_mode.add_argument("--abandon", metavar="NUMBER", default=None, type=_voucher_number,
                           help="end a voucher that stays sending: record it as posted if the ERP has it, else "
                                "mark it rejected and post its items on a new voucher in the next run")

    masterdata = commands.add_parser("masterdata", parents=[common], help="master data commands")
    masterdata_commands = masterdata.add_subparsers(dest="masterdata_command", required=True, metavar="ACTION")
    masterdata_commands.add_parser("sync", parents=[common],
                                   help="read the accounts, cost centers, projects and VAT codes of the configured "
                                        "ERP, store them, and compare them with the master data")

    audit = commands.add_parser("audit", parents=[common], help="audit log commands")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    verify = audit_commands.add_parser("verify", parents=[common],
                                       help="check the audit log's hash chain and name the first broken event")
    verify.add_argument("--expect", type=_audit_reference, default=None, metavar="ID:HASH",
                        help="also exit 1 unless event ID still has HASH, as printed by an earlier verify or "
                             "the monthly report")
    prune = audit_commands.add_parser("prune", parents=[common],
                                      help="delete the audit events older than audit.retention_years fiscal years")
    prune.add_argument("--dry-run", action="store_true", help="print how many events would be deleted; delete none")
    show = audit_commands.add_parser("show", parents=[common],
                                     help="print one item's history from the audit log, oldest first")
    show.add_argument("item", type=int, metavar="ITEM", help="the item's id in the store")
    export = audit_commands.add_parser("export", parents=[common],
                                       help="write the audit log to a CSV or JSON file and verify its chain")
    export.add_argument("--format", dest="file_format", choices=("csv", "json"), required=True,
                        help="csv: UTF-8 with BOM, ';' and CRLF, for spreadsheets; json: lossless")
    export.add_argument("--output", type=Path, required=True, metavar="FILE",
                        help="file to write; an existing file is replaced")
    export.add_argument("--since", type=_day, default=None, metavar="YYYY-MM-DD",
                        help="first day to export, in Norwegian time (default: the first event)")
    export.add_argument("--until", type=_day, default=None, metavar="YYYY-MM-DD",
                        help="last day to export, inclusive, in Norwegian time (default: the newest event)")

    privacy = commands.add_parser("privacy", parents=[common], help="personal data commands")
    privacy_commands = privacy.add_subparsers(dest="privacy_command", required=True, metavar="ACTION")
    erase = privacy_commands.add_parser("erase", parents=[common],
                                        help="pseudonymise a former employee wherever bookkeeping does not need the "
                                             "name, and print what was changed and what was kept and why")
    erase.add_argument("email", metavar="EMAIL", help="the person's email address")
    erase.add_argument("--dry-run", action="store_true", help="print what would change; change nothing")

    model = commands.add_parser("model", parents=[common], help="saved model version commands")
    model_commands = model.add_subparsers(dest="model_command", required=True, metavar="ACTION")
    model_commands.add_parser("list", parents=[common], help="list the saved model versions, newest first")
    restore = model_commands.add_parser("restore", parents=[common], help="make a saved model version current again")
    restore.add_argument("version", metavar="VERSION", help="a version id that `allocbot model list` shows")
    model_commands.add_parser("retrain", parents=[common],
                              help="train a new model version on all history and answers in the store now")

    report = commands.add_parser("report", parents=[common], help="reports to the controllers")
    report_commands = report.add_subparsers(dest="report_command", required=True, metavar="ACTION")
    monthly = report_commands.add_parser("monthly", parents=[common],
                                         help="print a month's figures, or send the monthly report by email and "
                                              "Slack")
    monthly.add_argument("--month", type=_month, default=None, metavar="YYYY-MM",
                         help="the month to report (default: the month before this one, in Norwegian time)")
    monthly_mode = monthly.add_mutually_exclusive_group()
    monthly_mode.add_argument("--output", type=Path, default=None, metavar="FILE.png",
                              help="also write the chart of the last 12 months to FILE.png")
    monthly_mode.add_argument("--send", action="store_true",
                              help="send the report to report.recipients and slack.controller_channel, skipping "
                                   "what was sent for that month before")
    monthly.add_argument("--again", action="store_true",
                         help="with --send: send the report once more, also where it was sent before")

    slack = commands.add_parser("slack", parents=[common], help="Slack app commands")
    slack_commands = slack.add_subparsers(dest="slack_command", required=True, metavar="ACTION")
    manifest = slack_commands.add_parser("manifest", parents=[common],
                                         help="print the Slack app manifest as JSON, to create the app from")
    manifest.add_argument("--request-url", metavar="URL", default=None,
                          help="public HTTPS address that Slack sends requests to, such as "
                               "https://allocbot.example.no/slack/events (default: slack.request_url)")
    return parser


def _voucher_number(text: str) -> str:
    # An empty shell variable must not turn "--abandon $NUMBER" into a plain posting run.
    if not text.strip():
        raise argparse.ArgumentTypeError("NUMBER is empty; pass a voucher number such as ABK7QM0000001")
    return text.strip()


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid date {text!r}; expected YYYY-MM-DD, such as 2026-12-31") from None


def _audit_reference(text: str) -> tuple[int, str]:
    event_id, _, event_hash = text.strip().lower().partition(":")
    if not event_id.isdigit() or len(event_hash) != 64 or any(c not in "0123456789abcdef" for c in event_hash):
        raise argparse.ArgumentTypeError(f"invalid audit reference {text!r}; expected ID:HASH, an event id and its "
                                         "64 hex digits, as allocbot audit verify prints them")
    return int(event_id), event_hash


def _month(text: str) -> date:
    from bot.report.months import parse_month

    try:
        return parse_month(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line, filling the common options' defaults."""
    args = build_parser().parse_args(argv)
    args.config = getattr(args, "config", None)
    args.verbose = getattr(args, "verbose", False)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    # Users read the translated messages; warnings and below go to the log only with --verbose.
    # The long-running bot logs its starts, stops and retries; one-off commands only their errors.
    quiet = logging.INFO if args.command == "run" else logging.ERROR
    level = logging.DEBUG if args.verbose else quiet
    # Text until the settings name service.log_format; email addresses and names are masked unless --verbose.
    configure_logging(level, "text", redact=not args.verbose)
    if not args.verbose:
        # The log lines for each migration step and each job the scheduler adds repeat on every start.
        logging.getLogger("alembic").setLevel(logging.WARNING)
        logging.getLogger("apscheduler").setLevel(logging.WARNING)

    # Errors are printed in the configured language, and in the default
    # language when the configuration itself cannot be loaded.
    translator = Translator(Settings.model_fields["language"].default)
    try:
        settings = load_settings(args.config)
        replica = settings.service.replica
        if args.command == "run":
            # Imported for run only: the scheduler's modules slow down the start of the one-off commands.
            from bot.scheduling import replica_name

            replica = replica_name(replica)
        configure_logging(level, settings.service.log_format, redact=not args.verbose, replica=replica)
        log.info("allocbot %s started", args.command)
        translator = Translator(settings.language)
        status = _run(args, settings)
        log.info("allocbot %s finished with exit status %d", args.command, status)
        return status
    except ConfigError as exc:
        log.debug("configuration error", exc_info=True)
        print("allocbot: " + translator("configuration error: {error}", error=exc.describe(translator)),
              file=sys.stderr)
        return exc.exit_status
    except AllocbotError as exc:
        log.debug("run failed", exc_info=True)
        print(f"allocbot: {exc.describe(translator)}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        print("allocbot: " + translator("interrupted"), file=sys.stderr)
        return 1


def _run(args: argparse.Namespace, settings: Settings) -> int:
    # The model commands come first because they need neither bot.commands nor its spaCy and scikit-learn.
    if args.command == "model":
        from bot import model_commands

        if args.model_command == "list":
            return model_commands.model_list(settings)
        if args.model_command == "retrain":
            return model_commands.model_retrain(settings)
        return model_commands.model_restore(settings, args.version)
    if args.command == "poll":
        from bot import mail_commands

        return mail_commands.poll(settings, once=args.once)
    if args.command == "run":
        from bot import service

        return service.run(settings)
    if args.command == "audit":
        return _audit(args, settings)
    if args.command == "privacy":
        from bot.privacy.commands import privacy_erase

        return privacy_erase(settings, args.email, dry_run=args.dry_run)
    if args.command == "report":
        from bot.report.command import report_monthly

        return report_monthly(settings, month=args.month, output=args.output, send=args.send, again=args.again)
    if args.command == "slack":
        from bot import slack_commands

        return slack_commands.slack_manifest(settings, request_url=args.request_url)

    # Imported here so that `allocbot --help` and configuration errors stay fast:
    # the pipeline pulls in spaCy and scikit-learn.
    from bot import commands

    if args.command == "demo":
        return commands.demo(settings, language=args.lang, workspace=args.workspace, seed=args.seed,
                             post=not args.no_post)
    if args.command == "ingest":
        return commands.ingest(settings, args.files)
    if args.command == "learn":
        return commands.learn(settings, args.files)
    if args.command == "evaluate":
        return _evaluate(args, settings)
    if args.command == "post" and args.abandon is not None:
        return commands.post_abandon(settings, args.abandon)
    if args.command == "post":
        return commands.post(settings, dry_run=args.dry_run, retry_rejected=args.retry_rejected)
    if args.command == "masterdata":
        return commands.masterdata_sync(settings)
    raise AssertionError(f"unhandled command {args.command}")


def _audit(args: argparse.Namespace, settings: Settings) -> int:
    from bot import audit_commands

    if args.audit_command == "show":
        return audit_commands.audit_show(settings, args.item)
    if args.audit_command == "export":
        return audit_commands.audit_export(settings, file_format=args.file_format, output=args.output,
                                           since=args.since, until=args.until)
    if args.audit_command == "prune":
        return audit_commands.audit_prune(settings, dry_run=args.dry_run)
    return audit_commands.audit_verify(settings, expect=args.expect)


def _evaluate(args: argparse.Namespace, settings: Settings) -> int:
    from bot.commands import require_files
    from bot.evaluate import evaluate, parse_rate

    require_files(args.files, "*.csv")
    master = args.master or settings.master_data
    if master is None:
        raise UsageError("--master", N_("no master data file"),
                         fix=N_("pass --master MASTER or set master_data in the configuration"))
    require_files([master], "*.toml")
    rates = dict(parse_rate(text) for text in args.rate)
    return evaluate(settings, args.files, master, json_path=args.json, plot_path=args.plot, rates=rates)


if __name__ == "__main__":
    sys.exit(main())
