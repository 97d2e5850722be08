"""One-to-one pairing of card lines with shipments, and the pairs that are not forced.

Giving each card line its nearest shipment in turn can take the only
shipment that a later line could match, so each group of lines and
shipments that compete for each other is solved as one assignment
problem: as many pairs as possible, then the fewest days apart in total.

A pair is kept only when every best assignment makes it, up to
interchangeable partners (equal keys). Where another best assignment
pairs a line with a different shipment, or a shipment with a different
line, both are left open as ambiguous, because choosing would be a guess.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment


@dataclass
class Pairing:
    """The outcome of ``pair``: forced pairs, and the rows and columns left open with the cause."""

    pairs: dict[int, int] = field(default_factory=dict)
    ambiguous_rows: set[int] = field(default_factory=set)
    ambiguous_columns: set[int] = field(default_factory=set)
    # Rows and columns whose candidates all went to nearer partners.
    outbid_rows: set[int] = field(default_factory=set)
    outbid_columns: set[int] = field(default_factory=set)


def pair(candidates: Mapping[int, Mapping[int, int]], row_keys: Sequence[Hashable],
         column_keys: Sequence[Hashable]) -> Pairing:
    """Pair rows (card lines) with columns (shipments) one to one.

    ``candidates[row][column]`` is the cost of a possible pair, the days
    between card line and payment date. Rows or columns with equal keys are
    interchangeable: swapping them changes no booking.
    """
    result = Pairing()
    for rows, columns in _components(candidates):
        _pair_component(candidates, rows, columns, row_keys, column_keys, result)
    return result


def _pair_component(candidates: Mapping[int, Mapping[int, int]], rows: list[int], columns: list[int],
                    row_keys: Sequence[Hashable], column_keys: Sequence[Hashable], result: Pairing) -> None:
    position = {column: index for index, column in enumerate(columns)}
    largest = max(cost for row in rows for cost in candidates[row].values())
    # A missing pair costs more than all real pairs together, so the solver first maximises the number of pairs.
    no_pair = (largest + 1) * (min(len(rows), len(columns)) + 1)
    cost = np.full((len(rows), len(columns)), no_pair, dtype=np.int64)
    for index, row in enumerate(rows):
        for column, days in candidates[row].items():
            cost[index, position[column]] = days

    best, assignment = _solve(cost, no_pair)
    for index, column_index in assignment:
        row, column = rows[index], columns[column_index]
        other_column = cost.copy()
        for other_index, other in enumerate(columns):
            if column_keys[other] == column_keys[column]:
                other_column[index, other_index] = no_pair
        other_row = cost.copy()
        for other_index, other in enumerate(rows):
            if row_keys[other] == row_keys[row]:
                other_row[other_index, column_index] = no_pair

        if _solve(other_column, no_pair)[0] == best or _solve(other_row, no_pair)[0] == best:
            result.ambiguous_rows.add(row)
            result.ambiguous_columns.add(column)
        else:
            result.pairs[row] = column

    paired_columns = set(result.pairs.values())
    for row in rows:
        if row in result.pairs or row in result.ambiguous_rows:
            continue
        if any(column in result.ambiguous_columns for column in candidates[row]):
            result.ambiguous_rows.add(row)
        else:
            result.outbid_rows.add(row)
    for column in columns:
        if column in paired_columns or column in result.ambiguous_columns:
            continue
        rivals = [row for row in rows if column in candidates[row]]
        if any(row in result.ambiguous_rows for row in rivals):
            result.ambiguous_columns.add(column)
        else:
            result.outbid_columns.add(column)


def _solve(cost: np.ndarray, no_pair: int) -> tuple[int, list[tuple[int, int]]]:
    """Return the least total cost of an assignment and its real pairs."""
    row_indexes, column_indexes = linear_sum_assignment(cost)
    total = int(cost[row_indexes, column_indexes].sum())
    pairs = [(int(row), int(column)) for row, column in zip(row_indexes, column_indexes)
             if cost[row, column] < no_pair]
    return total, pairs


def _components(candidates: Mapping[int, Mapping[int, int]]) -> list[tuple[list[int], list[int]]]:
    """Split the row-to-column candidate graph into its connected components."""
    rows_of: dict[int, list[int]] = defaultdict(list)
    for row, columns in candidates.items():
        for column in columns:
            rows_of[column].append(row)

    seen: set[int] = set()
    components: list[tuple[list[int], list[int]]] = []
    for start, columns in candidates.items():
        if start in seen or not columns:
            continue
        rows: list[int] = []
        reached: set[int] = set()
        stack = [start]
        seen.add(start)
        while stack:
            row = stack.pop()
            rows.append(row)
            for column in candidates[row]:
                if column in reached:
                    continue
                reached.add(column)
                for other in rows_of[column]:
                    if other not in seen:
                        seen.add(other)
                        stack.append(other)
        components.append((sorted(rows), sorted(reached)))
    return components
