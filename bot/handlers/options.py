"""Select menus over the option catalog: static menus for short lists, searched ones for long lists.

Slack lets a static select carry at most 100 options, so a longer list
becomes an ``external_select``. Slack then sends an options request with
the typed query, and ``search_options`` builds the answer.
"""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import fuzz, process, utils
from slack_sdk.models.blocks import ExternalDataSelectElement, OptionGroup, StaticSelectElement
from slack_sdk.models.blocks import Option as SlackOption

from bot.handlers.cards import Option, OptionCatalog
from bot.i18n import N_, Translator

# Slack's maximum number of options in a static select or in an options response.
MAX_OPTIONS = 100
# Slack's maximum length of an option's text and of an option group's label.
MAX_OPTION_TEXT = 75
# Fuzzy matches scoring below this (0-100, rapidfuzz WRatio) are left out of a search response.
MIN_SCORE = 60

Kind = str  # "cc" (cost center), "p" (project) or "a" (ledger account), the prefix of Option.value
KINDS: tuple[Kind, ...] = ("cc", "p", "a")
GROUP_LABELS = {"cc": N_("Cost centers"), "p": N_("Projects"), "a": N_("Accounts")}


def shorten(text: str, width: int) -> str:
    """Collapse whitespace and cut ``text`` to at most ``width`` characters, ending in "…" when cut.

    The cut falls on a space when one lies in the second half, so words stay whole.
    """
    text = " ".join(text.split())
    if len(text) <= width:
        return text

    cut = text[: width - 1]
    space = cut.rfind(" ")
    if space > width // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


def options_of_kind(catalog: OptionCatalog, kind: Kind) -> tuple[Option, ...]:
    """Return the catalog's list for ``kind`` ("cc", "p" or "a")."""
    lists = {"cc": catalog.cost_centers, "p": catalog.projects, "a": catalog.accounts}
    if kind not in lists:
        raise ValueError(f"unknown option kind {kind!r}; expected one of {', '.join(KINDS)}")
    return lists[kind]


def slack_option(option: Option) -> SlackOption:
    return SlackOption(value=option.value, label=shorten(option.label, MAX_OPTION_TEXT))


def catalog_select(
    catalog: OptionCatalog,
    *,
    action_id: str,
    placeholder: str,
    translator: Translator,
    kinds: Sequence[Kind] = KINDS,
    initial: Option | None = None,
    allow_static: bool = True,
) -> StaticSelectElement | ExternalDataSelectElement:
    """Build a select over the catalog lists ``kinds``: static up to 100 options, searched above.

    A static select over several kinds groups its options under translated
    labels and leaves out empty groups. An empty catalog also gets an
    external select, because Slack rejects a static select without options,
    and so does every catalog when ``allow_static`` is False. ``initial`` is
    preselected; a static select shows it only when it is one of its
    options, since Slack rejects any other initial option.
    """
    lists = {kind: options_of_kind(catalog, kind) for kind in kinds}
    size = sum(len(options) for options in lists.values())

    if not allow_static or size == 0 or size > MAX_OPTIONS:
        return ExternalDataSelectElement(
            action_id=action_id,
            placeholder=placeholder,
            min_query_length=0,
            initial_option=slack_option(initial) if initial else None,
        )

    listed = [option for options in lists.values() for option in options]
    initial_option = slack_option(initial) if initial in listed else None
    if len(kinds) == 1:
        return StaticSelectElement(
            action_id=action_id,
            placeholder=placeholder,
            options=[slack_option(option) for option in listed],
            initial_option=initial_option,
        )
    return StaticSelectElement(
        action_id=action_id,
        placeholder=placeholder,
        option_groups=_groups(lists, translator),
        initial_option=initial_option,
    )


def search_options(
    catalog: OptionCatalog,
    query: str,
    translator: Translator,
    *,
    kinds: Sequence[Kind] = KINDS,
) -> dict:
    """Build the response to Slack's options request for an external select: at most 100 matches, best first.

    Options whose code starts with the query come first, in catalog order.
    Then come fuzzy matches of the label, ordered by score. An empty query
    returns the first 100 options in catalog order. The response is
    ``{"options": [...]}`` for one kind and ``{"option_groups": [...]}`` for
    several, without empty groups.
    """
    lists = {kind: options_of_kind(catalog, kind) for kind in kinds}
    query = " ".join(query.split())

    if query:
        ranked = _rank(lists, query)
    else:
        ranked = [(kind, option) for kind, options in lists.items() for option in options]
    ranked = ranked[:MAX_OPTIONS]

    if len(kinds) == 1:
        return {"options": [slack_option(option).to_dict() for _, option in ranked]}
    matches = {kind: tuple(option for option_kind, option in ranked if option_kind == kind) for kind in kinds}
    return {"option_groups": [group.to_dict() for group in _groups(matches, translator)]}


def _rank(lists: dict[Kind, Sequence[Option]], query: str) -> list[tuple[Kind, Option]]:
    """Rank code-prefix matches over all kinds first, then fuzzy label matches by descending score."""
    prefix_matches: list[tuple[Kind, Option]] = []
    fuzzy_matches: list[tuple[float, int, Kind, Option]] = []
    lowered = query.casefold()

    for kind, options in lists.items():
        rest: list[Option] = []
        for option in options:
            code = option.value.split(":", 1)[-1]
            if code.casefold().startswith(lowered):
                prefix_matches.append((kind, option))
            else:
                rest.append(option)

        scored = process.extract(
            query,
            [option.label for option in rest],
            scorer=fuzz.WRatio,
            processor=utils.default_process,
            score_cutoff=MIN_SCORE,
            limit=None,
        )
        fuzzy_matches.extend((score, index, kind, rest[index]) for _, score, index in scored)

    # Equal scores keep catalog order, so the response does not change between requests.
    kind_order = {kind: position for position, kind in enumerate(lists)}
    fuzzy_matches.sort(key=lambda match: (-match[0], kind_order[match[2]], match[1]))
    return prefix_matches + [(kind, option) for _, _, kind, option in fuzzy_matches]


def _groups(lists: dict[Kind, Sequence[Option]], translator: Translator) -> list[OptionGroup]:
    return [
        OptionGroup(
            label=shorten(translator(GROUP_LABELS[kind]), MAX_OPTION_TEXT),
            options=[slack_option(option) for option in options],
        )
        for kind, options in lists.items()
        if options
    ]
