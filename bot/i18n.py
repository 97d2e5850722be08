"""Message catalogs and Norwegian number and date formatting for what users read.

Message ids are the English texts with ``str.format`` placeholders. The
catalogs are the gettext ``.po`` files under ``bot/locale/<lang>/LC_MESSAGES/``.
Every file in that folder is merged, so each part of the bot keeps its own
file. They are read with Babel at start-up, which spares a compile step in
the build. An empty or missing translation falls back to the English id.
"""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po
from babel.numbers import format_decimal

log = logging.getLogger(__name__)

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("nb", "en")
_BABEL_LOCALES = {"nb": "nb_NO", "en": "en_GB"}


def N_(message: str) -> str:
    """Mark a message id for extraction without translating it yet."""
    return message


class Translator:
    """Translate and format for one language."""

    def __init__(self, language: str):
        if language not in LANGUAGES:
            raise ValueError(f"unsupported language {language!r}; expected one of {', '.join(LANGUAGES)}")
        self.language = language
        self._messages = _load_catalog(language)

    def __call__(self, message: str, **params: object) -> str:
        """Translate ``message`` and fill its placeholders."""
        text = self._messages.get(message) or message
        if not params:
            return text
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            # A translation whose placeholders differ from the id's must not
            # break the message, so the English id is shown instead.
            _warn_invalid_placeholders(self.language, message)
            return message.format(**params)

    def money(self, amount: Decimal, currency: str = "NOK") -> str:
        """Format an amount the Norwegian way (``1 234,50 kr``) or the English way (``NOK 1,234.50``)."""
        number = format_decimal(amount, format="#,##0.00", locale=_BABEL_LOCALES[self.language])
        if currency == "NOK" and self.language == "nb":
            return f"{number} kr"
        return f"{currency} {number}" if self.language == "en" else f"{number} {currency}"

    def date(self, value: date) -> str:
        return value.strftime("%d.%m.%Y") if self.language == "nb" else value.isoformat()

    def number(self, value: float, digits: int = 1) -> str:
        pattern = "0." + "0" * digits if digits else "0"
        return format_decimal(value, format=pattern, locale=_BABEL_LOCALES[self.language])

    def percent(self, share: float) -> str:
        number = format_decimal(share * 100, format="0.0", locale=_BABEL_LOCALES[self.language])
        return f"{number} %"


@lru_cache(maxsize=None)
def _warn_invalid_placeholders(language: str, message: str) -> None:
    """Log a broken translation once per language and message id."""
    log.warning("translation of %r to %s has invalid placeholders; showing the English text", message, language)


@lru_cache(maxsize=None)
def _load_catalog(language: str) -> dict[str, str]:
    messages: dict[str, str] = {}
    for po_file in sorted((LOCALE_DIR / language / "LC_MESSAGES").glob("*.po")):
        with po_file.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        for message in catalog:
            # Fuzzy entries are unreviewed guesses, which gettext's msgfmt also leaves out.
            if message.id and message.string and not message.fuzzy:
                messages[message.id] = message.string
    return messages
