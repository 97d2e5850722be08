"""Keyword and UNSPSC rules from configuration, which outrank the model.

A rule has conditions (title keywords, a UNSPSC prefix) and targets (any of
cost center, project, account, VAT code). It applies when all its conditions
hold. Its targets then replace the model's choice for those fields, and the
model still fills in the fields the rule leaves open. Of
several rules that apply, the most specific wins: more conditions beat fewer,
and ties go to the rule listed first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.masterdata import MasterData
from bot.nlp.context import ItemContext
from bot.nlp.text import normalize_words


@dataclass(frozen=True)
class KeywordRule:
    """A configured rule: conditions on the item and the targets it sets.

    A keyword matches when it occurs in the title, ignoring case, or when all
    its lemmas or stems occur among the title's terms ("batteries" matches
    "Battery pack"). Any one of ``keywords`` is enough. ``unspsc_prefix``
    matches the start of the item's UNSPSC code ("5020" for beverages).
    """

    keywords: tuple[str, ...] = ()
    unspsc_prefix: str | None = None
    cost_center: str | None = None
    project: str | None = None
    account: str | None = None
    tax_code: str | None = None

    def __post_init__(self) -> None:
        if not any(keyword.strip() for keyword in self.keywords) and not self.unspsc_prefix:
            raise ValueError(f"invalid rule {self}: it needs keywords or unspsc_prefix to match on")
        if not (self.cost_center or self.project or self.account or self.tax_code):
            raise ValueError(f"invalid rule {self}: it sets no cost_center, project, account or tax_code")

    @property
    def condition_count(self) -> int:
        return int(bool(self.keywords)) + int(bool(self.unspsc_prefix))


@dataclass(frozen=True)
class RuleMatch:
    """The rule that applies to an item and the condition text that matched it.

    ``keyword`` is the keyword found in the title, or None when the rule
    matched on its UNSPSC prefix alone.
    """

    rule: KeywordRule
    keyword: str | None


def check_rules(rules: Sequence[KeywordRule], master: MasterData) -> None:
    """Raise ValueError for a rule whose targets are not in master data or contradict it."""
    for index, rule in enumerate(rules):
        where = f"rule {index + 1} ({', '.join(rule.keywords) or rule.unspsc_prefix})"
        if rule.cost_center and rule.cost_center not in master.cost_centers:
            raise ValueError(
                f"{where}: unknown cost center {rule.cost_center!r}; add it to master data or correct the rule"
            )
        if rule.project and rule.project not in master.projects:
            raise ValueError(f"{where}: unknown project {rule.project!r}; add it to master data or correct the rule")
        if rule.account and rule.account not in master.accounts:
            raise ValueError(f"{where}: unknown account {rule.account!r}; add it to master data or correct the rule")
        if rule.tax_code and rule.tax_code not in master.tax_codes:
            raise ValueError(f"{where}: unknown VAT code {rule.tax_code!r}; add it to master data or correct the rule")

        project = master.projects.get(rule.project or "")
        if project and project.cost_center and rule.cost_center and project.cost_center != rule.cost_center:
            raise ValueError(
                f"{where}: project {project.code} belongs to cost center {project.cost_center}, "
                f"not {rule.cost_center}; drop cost_center from the rule or correct it"
            )


def find_rule(rules: Sequence[KeywordRule], context: ItemContext) -> RuleMatch | None:
    """Return the most specific rule that applies to an item, or None."""
    best: RuleMatch | None = None
    for rule in rules:
        match = _match(rule, context)
        if match and (best is None or rule.condition_count > best.rule.condition_count):
            best = match
    return best


def _match(rule: KeywordRule, context: ItemContext) -> RuleMatch | None:
    if rule.unspsc_prefix and not (context.item.unspsc or "").startswith(rule.unspsc_prefix):
        return None
    if not rule.keywords:
        return RuleMatch(rule, None)

    for keyword in rule.keywords:
        if _keyword_in_title(keyword, context):
            return RuleMatch(rule, keyword)
    return None


def _keyword_in_title(keyword: str, context: ItemContext) -> bool:
    needle = keyword.strip().lower()
    if not needle:
        return False
    if needle in context.item.title.lower():
        return True

    terms = normalize_words(keyword, context.title.language)
    return bool(terms) and all(term in context.title.words for term in terms)
