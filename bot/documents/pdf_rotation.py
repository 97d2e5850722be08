"""Turn the characters of a rotated page so that its text reads left to right, top to bottom.

pdfminer applies the page's ``/Rotate`` entry, so a page that a bank draws
sideways and rotates back reads upright already. A page that is rotated
for display but drawn upright (a scanner's landscape page, or a PDF whose
``/Rotate`` was set by a viewer) gives characters that run down, up or
backwards. Each character's text matrix gives the direction it runs in.
The characters of each direction are turned into a frame where that
direction is left to right, so words and lines form as on an upright page.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping

log = logging.getLogger(__name__)

# Unit vectors of the direction text runs in, in page coordinates whose y
# axis points down, and the direction from one line to the next.
_DIRECTIONS = {
    0: ((1, 0), (0, 1)),
    90: ((0, 1), (-1, 0)),
    180: ((-1, 0), (0, -1)),
    270: ((0, -1), (1, 0)),
}


def text_direction(char: Mapping) -> int:
    """Return the angle, a multiple of 90 degrees clockwise, in which a character's text runs on the page.

    ``matrix`` is the character's text matrix in PDF coordinates, whose y
    axis points up; its first two numbers are the direction of the baseline.
    """
    a, b = char["matrix"][:2]
    if abs(a) >= abs(b):
        return 0 if a >= 0 else 180
    return 270 if b > 0 else 90


def upright_groups(chars: list[Mapping]) -> list[tuple[int, list[dict]]]:
    """Group characters by text direction, the most common first, each turned to read upright.

    Returns (angle, characters) pairs. The turned characters are copies with
    new ``x0``, ``x1``, ``top``, ``bottom`` and ``doctop`` and ``upright``
    set, so pdfplumber's word extraction reads them as upright text.
    """
    by_direction: dict[int, list[Mapping]] = {}
    for char in chars:
        by_direction.setdefault(text_direction(char), []).append(char)

    counts = Counter({angle: len(group) for angle, group in by_direction.items()})
    groups = []
    for angle, _ in counts.most_common():
        group = by_direction[angle]
        groups.append((angle, group if angle == 0 else [_turn(char, angle) for char in group]))
    if len(groups) > 1 or groups and groups[0][0] != 0:
        log.debug("page text runs in directions %s (characters per angle)", dict(counts))
    return groups


def _turn(char: Mapping, angle: int) -> dict:
    """Project the character's box onto the text direction and the line direction of ``angle``."""
    along, across = _DIRECTIONS[angle]
    corners = [(char["x0"], char["top"]), (char["x1"], char["top"]), (char["x0"], char["bottom"]),
               (char["x1"], char["bottom"])]
    xs = [x * along[0] + y * along[1] for x, y in corners]
    ys = [x * across[0] + y * across[1] for x, y in corners]
    turned = dict(char)
    turned.update(x0=min(xs), x1=max(xs), top=min(ys), bottom=max(ys), doctop=min(ys), upright=True)
    return turned
