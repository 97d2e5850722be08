"""Delivery addresses matched to the places master data names.

Amazon writes the shipping address as one comma-joined field with the
recipient first and the country last (``Nordlys Teknikk AS, Industriveien
12, LILLESTRØM, 2004, NO``), while master data writes ``Industriveien 12,
2004 Lillestrøm``. Both are reduced to lowercase tokens without Nordic and
German letters (Amazon often writes ``LILLESTROM``). Every word of the known
address is compared with the closest word of the shipping address by
rapidfuzz's ratio, so word order and the extra recipient and country words
do not count. Typos in street names still match; a different house number or
postal code never does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.masterdata import MasterData

# Mean word similarity (0 to 100) from which two addresses count as the
# same place. Chosen by hand: "Industrivegen 12, LILLESTROM" still matches
# "Industriveien 12, Lillestrøm" (score 96), "Storgata 12" does not (63).
MIN_ADDRESS_SCORE = 85

_TOKEN = re.compile(r"\w+", re.UNICODE)
_FOLD = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "ä": "a", "ö": "o", "ü": "u", "ß": "ss", "é": "e"})

# Swedish postal codes are written "554 54" or "55454".
_SPLIT_POSTAL_CODE = re.compile(r"\b(\d{3}) (\d{2})\b")


@dataclass(frozen=True)
class Place:
    """The place an item was delivered to, as far as master data shows.

    ``kind`` is "office", "warehouse", "customer", "event" or "unknown".
    ``project`` is set for a customer site, ``event`` for an event venue.
    """

    kind: str
    label: str = ""
    project: str | None = None
    event: str | None = None

    @property
    def key(self) -> str:
        """Identify the place for features and memory, e.g. ``customer:P-1042``."""
        return f"{self.kind}:{self.project or self.event or self.label}"


UNKNOWN_PLACE = Place("unknown")


@dataclass(frozen=True)
class _Address:
    words: tuple[str, ...]
    numbers: frozenset[str]


class PlaceMatcher:
    """Match shipping addresses to locations, project sites and event venues.

    A location of kind "customer" with a project and a project's own site
    are the same kind of place. When several places match equally well, the
    one listed first wins: locations, then project sites, then event venues.
    """

    def __init__(self, master: MasterData) -> None:
        self._known = _known_addresses(master)
        self._cache: dict[str, Place] = {}

    def match(self, address: str | None) -> Place:
        """Return the place an address belongs to, or UNKNOWN_PLACE."""
        if not address:
            return UNKNOWN_PLACE
        if address not in self._cache:
            self._cache[address] = self._match(address)
        return self._cache[address]

    def _match(self, address: str) -> Place:
        shipping = _normalize(address)
        best, best_score = UNKNOWN_PLACE, 0.0

        for place, known in self._known:
            # House number and postal code must both appear, because the word
            # score alone would join neighbours on the same street.
            if not known.numbers <= shipping.numbers:
                continue
            score = _word_coverage(known, shipping)
            if score >= MIN_ADDRESS_SCORE and score > best_score:
                best, best_score = place, score
        return best


def _word_coverage(known: _Address, shipping: _Address) -> float:
    """Return the mean similarity of each known word to its closest shipping word, weighted by length."""
    if not known.words:
        return 100.0 if known.numbers else 0.0
    if not shipping.words:
        return 0.0

    total = 0.0
    for word in known.words:
        _, score, _ = process.extractOne(word, shipping.words, scorer=fuzz.ratio)
        total += score * len(word)
    return total / sum(len(word) for word in known.words)


def _known_addresses(master: MasterData) -> list[tuple[Place, _Address]]:
    places: list[tuple[Place, str]] = []
    for location in master.locations:
        places.append((Place(location.kind, location.label, project=location.project), location.address))
    for project in master.projects.values():
        for site in project.sites:
            places.append((Place("customer", project.name, project=project.code), site))
    for event in master.events:
        places.append((Place("event", event.name, event=event.name), event.location))

    return [(place, _normalize(address)) for place, address in places]


def _normalize(address: str) -> _Address:
    folded = _SPLIT_POSTAL_CODE.sub(r"\1\2", address.lower().translate(_FOLD))
    tokens = _TOKEN.findall(folded)
    words = tuple(token for token in tokens if not token.isdigit())
    numbers = frozenset(token for token in tokens if token.isdigit())
    return _Address(words, numbers)
