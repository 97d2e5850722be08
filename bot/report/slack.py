"""The report in Slack: the figures as a Block Kit message, and the chart as a file in the same channel.

The chart is uploaded with slack_sdk's ``files_upload_v2``, which calls
files.getUploadURLExternal, sends the bytes to the URL it returns, and
shares the file with files.completeUploadExternal. The bot token needs the
scopes chat:write and files:write.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.config import ReportSettings, Settings
from bot.handlers.client import build_client
from bot.handlers.messages import escape_mrkdwn
from bot.i18n import Translator
from bot.report.stats import MonthFigures
from bot.report.text import audit_note, figure_rows, formula_note, report_text, subject

log = logging.getLogger(__name__)

# Slack's limit for the text of a header block.
HEADER_LIMIT = 150


def report_blocks(figures: MonthFigures, settings: ReportSettings, translator: Translator) -> list[dict[str, Any]]:
    """Return the message's blocks: a header, the figures as fields, and notes on hours saved and the audit hash."""
    fields = [{"type": "mrkdwn", "text": f"*{escape_mrkdwn(label)}*\n{escape_mrkdwn(value)}"}
              for label, value in figure_rows(figures, translator)]
    notes = [formula_note(settings, translator), audit_note(figures, translator)]
    return [
        {"type": "header", "text": {"type": "plain_text", "text": subject(figures.month, translator)[:HEADER_LIMIT]}},
        {"type": "section", "fields": fields},
        {"type": "context",
         "elements": [{"type": "mrkdwn", "text": escape_mrkdwn(note)} for note in notes if note is not None]},
    ]


def post_figures(settings: Settings, token: str, figures: MonthFigures, translator: Translator) -> str:
    """Post the figures to slack.controller_channel and return the message's ts.

    slack_sdk raises SlackApiError, or an OSError for network failures, when the post fails.
    """
    client = build_client(token, settings.slack.api_url)
    response = client.chat_postMessage(channel=settings.slack.controller_channel,
                                       text=report_text(figures, settings.report, translator),
                                       blocks=report_blocks(figures, settings.report, translator))
    return str(response["ts"])


def upload_plot(settings: Settings, token: str, plot: bytes, *, filename: str, title: str) -> str:
    """Share the chart in slack.controller_channel and return the file's id."""
    client = build_client(token, settings.slack.api_url)
    response = client.files_upload_v2(channel=settings.slack.controller_channel, content=plot, filename=filename,
                                      title=title)
    return str(response["file"]["id"])
