"""Combinations: card lines that each pay several shipments, or several rows of one order.

One card line can pay several shipments at once, and one order can be
charged several times when its rows carry no payment reference. Both are
found by subset sums. Each line gets the sets of open pieces in its date
window whose amounts add up to it. Lines that compete for the same pieces
then get the choice that matches the most lines and then has the fewest
days between line and payment dates. A line is matched only when every
best choice gives it the same pieces, up to interchangeable ones (equal
keys), and is left open as ambiguous otherwise.

The search is bounded: a line with more than ``MAX_CANDIDATES`` pieces in
its window, more than ``MAX_OPTIONS`` fitting sets, or a group of lines
that needs more than ``MAX_STEPS`` search steps is left open with a reason.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

# Subsets are enumerated by meeting in the middle: two halves of 2**10 sums each.
MAX_CANDIDATES = 20
MAX_OPTIONS = 64
MAX_STEPS = 200_000
# Distinct best choices kept per group; more mean the group is ambiguous anyway.
MAX_SOLUTIONS = 64


@dataclass(frozen=True)
class Option:
    """A set of pieces that adds up to a line, the days between them and the line, and its interchangeability key."""

    pieces: tuple[int, ...]
    days: int
    key: Hashable


@dataclass
class SubsetChoice:
    """The outcome of ``choose``: the lines matched to pieces, and those left open with the cause."""

    chosen: dict[int, Option] = field(default_factory=dict)
    ambiguous: dict[int, int] = field(default_factory=dict)   # line → number of fitting options
    taken: set[int] = field(default_factory=set)              # every best choice gives its pieces to other lines
    too_many: set[int] = field(default_factory=set)


class _SearchTooLarge(Exception):
    pass


def fitting_subsets(values: Sequence[int], low: int, high: int) -> list[tuple[int, ...]] | None:
    """Return the non-empty index sets of ``values`` whose sum lies in ``[low, high]``; None when more than MAX_OPTIONS.

    ``values`` are positive cents, at most MAX_CANDIDATES of them. Each half
    of the values yields all its subset sums. For each sum of the first
    half, bisection finds the fitting sums of the second.
    """
    if len(values) > MAX_CANDIDATES:
        raise ValueError(f"{len(values)} values are more than the {MAX_CANDIDATES} that a search may take")

    half = len(values) // 2
    first = _subset_sums(values[:half], offset=0)
    second = sorted(_subset_sums(values[half:], offset=half))
    second_sums = [total for total, _ in second]

    found: list[tuple[int, ...]] = []
    for total, indexes in first:
        start = bisect.bisect_left(second_sums, low - total)
        stop = bisect.bisect_right(second_sums, high - total)
        for _, other in second[start:stop]:
            combined = indexes + other
            if not combined:
                continue
            found.append(combined)
            if len(found) > MAX_OPTIONS:
                return None
    return sorted(found)


def _subset_sums(values: Sequence[int], offset: int) -> list[tuple[int, tuple[int, ...]]]:
    sums: list[tuple[int, tuple[int, ...]]] = [(0, ())]
    for index, value in enumerate(values, start=offset):
        sums += [(total + value, indexes + (index,)) for total, indexes in sums]
    return sums


def choose(options: Mapping[int, Sequence[Option]]) -> SubsetChoice:
    """Choose pieces for each line among its options, so no piece is used twice; see the module docstring."""
    result = SubsetChoice()
    for lines in _competing_groups(options):
        try:
            solutions = _best_solutions(lines, options)
        except _SearchTooLarge:
            result.too_many.update(lines)
            continue

        for line in lines:
            keys = {solution[line].key if line in solution else None for solution in solutions}
            if len(keys) > 1:
                result.ambiguous[line] = len(options[line])
            elif line in solutions[0]:
                result.chosen[line] = solutions[0][line]
            else:
                result.taken.add(line)
    return result


def _best_solutions(lines: list[int], options: Mapping[int, Sequence[Option]]) -> list[dict[int, Option]]:
    """Return the distinct best choices for a group of lines: most lines matched, then fewest days."""
    order = sorted(lines, key=lambda line: len(options[line]))
    best_score: tuple[int, int] | None = None
    best: dict[tuple, dict[int, Option]] = {}
    steps = 0

    def visit(position: int, used: frozenset[int], chosen: dict[int, Option], matched: int, days: int) -> None:
        nonlocal best_score, steps
        steps += 1
        if steps > MAX_STEPS:
            raise _SearchTooLarge
        if best_score is not None and matched + len(order) - position < best_score[0]:
            return
        if position == len(order):
            score = (matched, -days)
            if best_score is None or score > best_score:
                best_score = score
                best.clear()
            if score == best_score:
                identity = tuple(sorted((line, option.key) for line, option in chosen.items()))
                best.setdefault(identity, dict(chosen))
                if len(best) > MAX_SOLUTIONS:
                    raise _SearchTooLarge
            return

        line = order[position]
        for option in options[line]:
            if used.isdisjoint(option.pieces):
                chosen[line] = option
                visit(position + 1, used | frozenset(option.pieces), chosen, matched + 1, days + option.days)
                del chosen[line]
        visit(position + 1, used, chosen, matched, days)

    visit(0, frozenset(), {}, 0, 0)
    return list(best.values())


def _competing_groups(options: Mapping[int, Sequence[Option]]) -> list[list[int]]:
    """Group the lines whose options share pieces, directly or through other lines."""
    lines_of: dict[int, set[int]] = defaultdict(set)
    for line, line_options in options.items():
        for option in line_options:
            for piece in option.pieces:
                lines_of[piece].add(line)

    seen: set[int] = set()
    groups = []
    for start in options:
        if start in seen or not options[start]:
            continue
        group = []
        stack = [start]
        seen.add(start)
        while stack:
            line = stack.pop()
            group.append(line)
            for option in options[line]:
                for piece in option.pieces:
                    for other in lines_of[piece]:
                        if other not in seen:
                            seen.add(other)
                            stack.append(other)
        groups.append(sorted(group))
    return groups
