"""Tell the controllers in Slack what a posting run left for them: rejected, held back and failed vouchers, and notes.

``allocbot post`` may run unattended, from cron or a systemd timer, where
no person reads its printed summary. When ``slack.controller_channel`` and
SLACK_BOT_TOKEN are both set, one short message in the bot's language
goes to that channel, listing each voucher with the ERP's message and the
fix. Otherwise nothing is sent, and the printed summary is the only
report. A Slack call that fails with an API, network or response error is logged and does not fail the posting run.

A voucher is reported in the run that rejected it; later runs only print
it while it waits. A held back voucher is reported on every run until its
codes are corrected, because every run checks it again.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackClientError

from bot.config import Settings, secret
from bot.console import failure_text, outcome_text, problem_text, voucher_heading
from bot.handlers.client import build_client
from bot.handlers.messages import escape_mrkdwn
from bot.i18n import Translator
from bot.posting.codes import erp_name
from bot.posting.run import PostingResult

log = logging.getLogger(__name__)

# Vouchers listed in one message; the rest are counted, and the printed summary lists them all.
LISTED_VOUCHERS = 20


def notify_controllers(result: PostingResult, settings: Settings) -> bool:
    """Send the run's rejected, held back and failed vouchers and its notes to the controllers' channel.

    Returns whether a message was sent: False when the run left nothing
    for the controllers, when the channel or the token is not set, or when
    Slack failed.
    """
    channel = settings.slack.controller_channel
    token = secret("slack_bot_token")
    translator = Translator(settings.language)
    lines = controller_lines(result, translator)
    if not lines:
        return False
    if not channel or not token:
        log.info("%d posting problems not sent to Slack: slack.controller_channel or SLACK_BOT_TOKEN is not set",
                 len(lines))
        return False

    text = controller_message(lines, translator)
    try:
        build_client(token, settings.slack.api_url).chat_postMessage(channel=channel, text=text)
    except (SlackClientError, OSError, ValueError):
        # ValueError covers a response that is no JSON, as from a proxy's error page.
        log.exception("cannot send the posting report to Slack channel %s; the printed summary lists it", channel)
        return False
    log.info("posting report with %d entries sent to Slack channel %s", len(lines), channel)
    return True


def controller_lines(result: PostingResult, translator: Translator) -> list[str]:
    """Return one plain-text line per voucher the controllers have to look at, in the order of the printed summary."""
    erp = erp_name(result.connector)
    lists_erp = erp_name(result.lists_from) if result.lists_from else None
    lines = []
    for outcome in result.outcomes:
        if outcome.status == "rejected" or (outcome.status == "posted" and outcome.note):
            lines.append(f"{voucher_heading(outcome.voucher, translator)}: {outcome_text(outcome, erp, translator)}")
    for entry in result.held_back:
        problems = "; ".join(problem_text(problem, entry.draft, lists_erp, translator) for problem in entry.problems)
        lines.append(translator("{heading}: held back, not sent: {problems}",
                                heading=voucher_heading(entry.draft.voucher, translator), problems=problems))
    for failure in result.failures:
        lines.append(failure_text(failure, erp, translator))
    return lines


def controller_message(lines: list[str], translator: Translator) -> str:
    """Return the Slack message: a heading, then the first LISTED_VOUCHERS lines as a list, escaped for mrkdwn."""
    text = [translator("allocbot post needs a controller:")]
    text += [f"• {escape_mrkdwn(line)}" for line in lines[:LISTED_VOUCHERS]]
    if len(lines) > LISTED_VOUCHERS:
        text.append(translator("… and {count} more", count=len(lines) - LISTED_VOUCHERS))
    return "\n".join(text)
