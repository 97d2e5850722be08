"""The two generated companies of the model benchmarks, with and without the controller's slips.

Both generators book about 3 % of the lines differently from the company's
own rules, as a hurried controller does, and write those slips into the
labeled reports. The benchmarks score against the file's labels, as
``allocbot evaluate`` does. They also score against the labels the rules
give, which the generator writes when its slip rate is set to 0 for one
call. The same seed gives the same orders either way, because the labels
draw from their own random generator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from unittest import mock

import bot.sample.generator as nordlys_generator
import bot.sample.second.generator as havrekorn_generator
from bot.history import labeled_fields, read_labeled_history
from bot.masterdata import MasterData, load_master_data
from bot.nlp.replay import SCORED_FIELDS
from bot.records import Allocation, ReportItem
from bot.sample import generate
from bot.sample.second import generate_second

COMPANIES = ("nordlys", "havrekorn")

NORDLYS_SEED = 2026
HAVREKORN_SEED = 7
HAVREKORN_ITEMS = 3000


@dataclass(frozen=True)
class BenchCompany:
    """A generated company's master data and labeled items.

    ``items`` carry the file's labels. ``clean`` maps each item's key to the
    label without slips, with the VAT code resolved. It is empty when the
    company was loaded without it.
    """

    name: str
    master_path: Path
    reports: tuple[Path, ...]
    master: MasterData
    items: list[ReportItem]
    scored: tuple[str, ...]
    clean: dict[str, Allocation]

    @property
    def examples(self) -> list[tuple[ReportItem, Allocation]]:
        return [(item, item.labels) for item in self.items]

    def slips(self) -> int:
        """Count the items whose file label differs from the clean one on a scored field."""
        return sum(1 for item in self.items if not _same(self.master.with_default_tax_code(item.labels),
                                                          self.clean[item.key], self.scored))


def load_company(name: str, workdir: Path, *, items: int = HAVREKORN_ITEMS, clean: bool = True) -> BenchCompany:
    """Generate ``name`` ("nordlys" or "havrekorn") under ``workdir`` and read its labeled items.

    Nordlys is the demo company with all six labeled months (1 565 items
    with seed 2026); ``items`` sets the size of Havrekorn's report.
    """
    if name == "nordlys":
        return _load(name, workdir, _nordlys_files, nordlys_generator, clean)
    if name == "havrekorn":
        return _load(name, workdir, lambda out: _havrekorn_files(out, items), havrekorn_generator, clean)
    raise ValueError(f"unknown company {name!r}: expected one of {', '.join(COMPANIES)}")


def _nordlys_files(out: Path) -> tuple[Path, tuple[Path, ...]]:
    files = generate(out, seed=NORDLYS_SEED)
    return files.master_data, (*files.history, files.month_report_labeled)


def _havrekorn_files(out: Path, items: int) -> tuple[Path, tuple[Path, ...]]:
    files = generate_second(out, seed=HAVREKORN_SEED, items=items)
    return files.master_data, (files.report,)


def _load(name: str, workdir: Path, write: Callable[[Path], tuple[Path, tuple[Path, ...]]], generator: ModuleType,
          clean: bool) -> BenchCompany:
    master_path, reports = write(workdir / name)
    master = load_master_data(master_path)
    items = [item for path in reports for item in read_labeled_history(path, master)]
    scored = _scored_fields(reports)

    clean_labels: dict[str, Allocation] = {}
    if clean:
        # The generator module imported INCONSISTENCY_RATE by name, so its own binding is the one to patch.
        with mock.patch.object(generator, "INCONSISTENCY_RATE", 0.0):
            _, clean_reports = write(workdir / f"{name}-clean")
        clean_items = [item for path in clean_reports for item in read_labeled_history(path, master)]
        clean_labels = {item.key: master.with_default_tax_code(item.labels) for item in clean_items}
        _check_same_items(items, clean_items)
        if all(item.labels == clean_item.labels for item, clean_item in zip(items, clean_items)):
            raise RuntimeError(f"{generator.__name__}.INCONSISTENCY_RATE = 0 changed no label, so the generator "
                               "no longer reads it; update the patch in bench/companies.py")
    return BenchCompany(name, master_path, reports, master, items, scored, clean_labels)


def _scored_fields(reports: tuple[Path, ...]) -> tuple[str, ...]:
    present = set(SCORED_FIELDS)
    for path in reports:
        present &= set(labeled_fields(path))
    return tuple(name for name in SCORED_FIELDS if name in present)


def _check_same_items(items: list[ReportItem], clean_items: list[ReportItem]) -> None:
    """Raise when the slip-free run wrote other items than the first, which would make the clean scores wrong."""
    first = [(item.key, item.title, item.order_date, item.account_user_email) for item in items]
    second = [(item.key, item.title, item.order_date, item.account_user_email) for item in clean_items]
    if first != second:
        raise RuntimeError("the generator wrote different items without slips; the clean labels cannot be matched")


def _same(first: Allocation, second: Allocation, fields: tuple[str, ...]) -> bool:
    return all(getattr(first, name) == getattr(second, name) for name in fields)
