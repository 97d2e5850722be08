"""Labeled history: Amazon Business order reports with the allocation columns filled in.

Both ``allocbot learn`` and ``allocbot evaluate`` read it. Every row must
carry an allocation whose codes exist in master data, because a model that
learns an unknown code would suggest it for bookings nobody can post.
"""

from __future__ import annotations

from pathlib import Path

from bot.documents import parse_document
from bot.documents.amazon_report import LABEL_COLUMNS, report_columns
from bot.errors import InputError
from bot.i18n import N_
from bot.masterdata import MasterData
from bot.policy import missing_codes
from bot.records import ReportItem, Statement

# Columns a labeled report must have; Project Code and Tax Code may be left out.
REQUIRED_LABEL_COLUMNS = ("Cost Center", "GL Code")

# Allocation fields by the report column that carries them.
FIELD_COLUMNS = {"cost_center": "Cost Center", "project": "Project Code", "account": "GL Code",
                 "tax_code": "Tax Code"}


def read_labeled_history(path: Path, master: MasterData) -> list[ReportItem]:
    """Parse a labeled order report; raise InputError on a statement, an unlabeled row or an unknown code."""
    content = parse_document(path)
    if isinstance(content, Statement):
        raise InputError(path, N_("is a card statement, not a labeled order report"),
                         fix=N_("pass Amazon Business order reports with Cost Center and GL Code filled in"))

    missing = [column for column in REQUIRED_LABEL_COLUMNS if column not in report_columns(path)]
    if missing:
        # Named as a missing column, because every row would otherwise be reported as unlabeled.
        raise InputError(path, N_("order report is missing the column(s) {columns}"),
                         fix=N_("fill in Cost Center and GL Code on every row of labeled history"),
                         columns=", ".join(repr(column) for column in missing))

    unlabeled = [item for item in content if item.labels is None]
    if unlabeled:
        raise InputError(path, N_("row has no allocation"), location=N_("line {row}"),
                         fix=N_("fill in Cost Center and GL Code on every row of labeled history"),
                         row=unlabeled[0].line)

    for item in content:
        missing = missing_codes(master.with_default_tax_code(item.labels), master)
        if missing:
            # Only the first missing code is named; a rerun names the next.
            message, code = missing[0]
            raise InputError(path, message, location=N_("line {row}"),
                             fix=N_("add the code to the master data file or correct the report"),
                             row=item.line, code=code)
    return content


def labeled_fields(path: Path) -> tuple[str, ...]:
    """Return the allocation fields whose columns the report has, in Allocation's field order.

    Cost center and account are always there in a file that
    ``read_labeled_history`` accepted.
    """
    columns = report_columns(path)
    present = {name for name in LABEL_COLUMNS if name in columns}
    return tuple(field for field, column in FIELD_COLUMNS.items() if column in present)
