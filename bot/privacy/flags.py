"""Flag items that are personal data: private purchases and items whose title names a person.

A title names a person when it contains an employee's full name from the
master data, or, as a whole capitalised word, an employee's first or last
name or a first name from ``first_names.txt``. Single words that are also
product, brand or everyday words (``STOP_WORDS``), or words of the item's
brand, never count alone. So "Apple AirPods Max" is not flagged, while
"Max Müller" is when Max Müller is an employee. Flagged items carry
``personal_data``, so exports and retention can treat them as personal data.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from importlib.resources import files

from sqlmodel import Session

from bot.masterdata import MasterData
from bot.records import BOT_ACTOR
from bot.store.audit import audit
from bot.store.models import AmazonItem

log = logging.getLogger(__name__)

# Capitalised words that are first or last names but also common product,
# brand, month or everyday words in Norwegian, German or English titles.
STOP_WORDS = frozenset({
    "Alexa", "Amber", "Apple", "April", "August", "Bang", "Bo", "Bosch", "Braun", "Dag", "Dyson", "Echo",
    "Emma", "Even", "Ford", "Grace", "Hugo", "Jack", "Jan", "Jensen", "June", "Kai", "Line", "Liv", "Live",
    "Mac", "Mai", "Mark", "Marshall", "Max", "May", "Miele", "Odd", "Olufsen", "Per", "Philips", "Porsche",
    "Ray", "Rose", "Ruby", "Siri", "Sol", "Stein", "Tesla", "Thor", "Tone", "Victoria",
})

# Runs of letters: "Anne-Marie" gives two words, "Kari's" gives "Kari" and "s".
_WORD = re.compile(r"[^\W\d_]+")


@lru_cache(maxsize=1)
def shipped_first_names() -> frozenset[str]:
    """Return the first names of ``first_names.txt``, the package's list."""
    text = files("bot.privacy").joinpath("first_names.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


class PersonNameFinder:
    """Tell whether a text names a person, from employee names and a list of first names."""

    def __init__(self, employee_names: Iterable[str], first_names: Iterable[str] = ()) -> None:
        self.full_names: list[tuple[str, ...]] = []
        single: set[str] = set(first_names)
        for name in employee_names:
            parts = tuple(_WORD.findall(name))
            if len(parts) > 1:
                self.full_names.append(tuple(part.casefold() for part in parts))
            single.update(parts)
        self.single_words = frozenset(word for word in single if word not in STOP_WORDS and len(word) > 1)

    @classmethod
    def for_master(cls, master: MasterData) -> PersonNameFinder:
        """Build a finder for the master data's employees and the shipped first names."""
        return cls((employee.name for employee in master.employees.values()), shipped_first_names())

    def names_person(self, text: str, brand: str | None = None) -> bool:
        """Return whether ``text`` contains an employee's full name or a capitalised name word.

        Words of ``brand`` do not count alone, so the title of a Herman Miller
        chair or a Santa Maria spice is not flagged.
        """
        words = _WORD.findall(text)
        folded = [word.casefold() for word in words]
        for parts in self.full_names:
            if _contains_run(folded, parts):
                return True
        brand_words = set(_WORD.findall(brand or ""))
        return any(self._is_name(word) for word in words if word not in brand_words)

    def _is_name(self, word: str) -> bool:
        if not _capitalised(word):
            return False
        if word in self.single_words:
            return True
        # The genitive of Norwegian, Swedish, Danish and German: "Karis gave", "Annas Geschenk".
        return len(word) > 3 and word.endswith("s") and word[:-1] in self.single_words


def name_finder(master: MasterData, *, enabled: bool) -> PersonNameFinder | None:
    """Return a finder when ``privacy.flag_person_names`` is on, or None when it is off."""
    return PersonNameFinder.for_master(master) if enabled else None


def flag_item(session: Session, item: AmazonItem, finder: PersonNameFinder | None) -> bool:
    """Set the item's personal-data flags, and audit a title that names a person.

    A private purchase is personal data. A title in which ``finder`` finds
    a name sets ``names_person`` too. The audit event records only the
    flag, never the name, because audit events cannot be pseudonymised
    later. Returns True when the item was newly flagged as naming a person.
    """
    if item.private_purchase:
        item.personal_data = True
    if finder is None or item.names_person or not finder.names_person(item.title, item.brand):
        return False

    item.names_person = True
    item.personal_data = True
    audit(session, actor=BOT_ACTOR, action="flagged_personal", subject_type="item", subject_id=str(item.id),
          data={"names_person": True})
    return True


def flag_items(session: Session, items: Sequence[AmazonItem], master: MasterData, *, enabled: bool) -> int:
    """Flag newly stored items as ``flag_item`` does, and return how many name a person."""
    finder = name_finder(master, enabled=enabled)
    flagged = sum(flag_item(session, item, finder) for item in items)
    if flagged:
        log.info("flagged %d of %d new items as naming a person", flagged, len(items))
    return flagged


def _capitalised(word: str) -> bool:
    return word[:1].isupper() and word[1:].islower()


def _contains_run(words: Sequence[str], parts: tuple[str, ...]) -> bool:
    width = len(parts)
    return any(tuple(words[start:start + width]) == parts for start in range(len(words) - width + 1))
