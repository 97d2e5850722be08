"""Errors a user can act on: what is wrong, where, and how to fix it."""

from __future__ import annotations

from pathlib import Path


class AllocbotError(Exception):
    """Base class for errors the command line reports without a traceback."""

    exit_status = 1


class InputError(AllocbotError):
    """A file the bot was given cannot be used.

    ``location`` names the line, page, column or key inside the file;
    ``fix`` says what the sender should change.
    """

    def __init__(self, source: str | Path, message: str, *, location: str | None = None, fix: str | None = None):
        self.source = str(source)
        self.message = message
        self.location = location
        self.fix = fix
        super().__init__(self.describe())

    def describe(self) -> str:
        where = f"{self.source}, {self.location}" if self.location else self.source
        text = f"{where}: {self.message}"
        if self.fix:
            text += f" ({self.fix})"
        return text


class ConfigError(InputError):
    """The configuration is invalid; the program stops with exit status 2."""

    exit_status = 2


class UsageError(InputError):
    """A command-line argument is unusable; the program stops with exit status 2."""

    exit_status = 2
