"""Errors a user can act on: what is wrong, where, and how to fix it.

The texts are English message ids with ``str.format`` placeholders, marked
with `bot.i18n.N_` where they are raised; the values go in ``params``. The
catalog ``bot/locale/<lang>/LC_MESSAGES/errors.po`` translates them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.i18n import Translator


class AllocbotError(Exception):
    """Base class for errors the command line reports without a traceback."""

    exit_status = 1

    def describe(self, translator: Translator | None = None) -> str:
        """Render the error for the user; a subclass with message ids renders it in the translator's language."""
        return str(self)


class InputError(AllocbotError):
    """A file the bot was given cannot be used.

    ``message``, ``location`` and ``fix`` are message ids: ``location`` names
    the line, page, column or key inside the file, and ``fix`` is the change the
    sender should make. A message given as several ids is joined with ": ",
    a fix with "; ". ``params`` fills the placeholders of all of them, and
    ``str()`` gives the English text.
    """

    def __init__(
        self,
        source: str | Path,
        message: str | tuple[str, ...],
        *,
        location: str | None = None,
        fix: str | tuple[str, ...] | None = None,
        **params: object,
    ):
        self.source = str(source)
        self.message = message
        self.location = location
        self.fix = fix
        self.params = params
        super().__init__(self.describe())

    def describe(self, translator: Translator | None = None) -> str:
        """Render the error in the translator's language, or in English without one."""
        translate = translator or _english
        # The source is a file name, or a marked label such as "built-in defaults".
        where = translate(self.source)
        if self.location:
            where += ", " + translate(self.location, **self.params)
        text = f"{where}: {self._join(translate, self.message, ': ')}"
        if self.fix:
            text += f" ({self._join(translate, self.fix, '; ')})"
        return text

    def _join(self, translate: Callable[..., str], messages: str | tuple[str, ...], separator: str) -> str:
        if isinstance(messages, str):
            messages = (messages,)
        return separator.join(translate(message, **self.params) for message in messages)


class ConfigError(InputError):
    """The configuration is invalid; the program stops with exit status 2."""

    exit_status = 2


class UsageError(InputError):
    """A command-line argument is unusable; the program stops with exit status 2."""

    exit_status = 2


class InvalidValueError(ValueError):
    """A value cannot be read, with a message id and its ``params`` like `InputError`'s.

    The parsers that catch it put the message into the `InputError` that names
    the file, line and column.
    """

    def __init__(self, message: str, **params: object):
        self.message = message
        self.params = params
        super().__init__(_english(message, **params))


def _english(message: str, **params: object) -> str:
    # The same rule as Translator: a text without params is not formatted.
    return message.format(**params) if params else message
