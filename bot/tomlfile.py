"""TOML files that people write, read with errors that name the fault and the fix."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from bot.errors import InputError
from bot.i18n import N_


def read_toml(path: Path, error: type[InputError], *, unreadable_fix: str) -> dict[str, Any]:
    """Parse ``path`` as UTF-8 TOML; raise ``error`` naming the file and the fault.

    ``unreadable_fix`` is the catalog message with the fix for a missing or
    unreadable file, because each caller names its file in another setting.
    """
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise error(path, N_("invalid TOML: {reason}"), fix=N_("correct the TOML syntax"),
                    reason=str(exc)) from None
    except UnicodeDecodeError as exc:
        raise error(path, N_("invalid UTF-8 at byte {offset}"), fix=N_("save the file as UTF-8"),
                    offset=exc.start) from None
    except FileNotFoundError:
        raise error(path, N_("file not found"), fix=unreadable_fix) from None
    except OSError as exc:
        raise error(path, N_("cannot read the file: {reason}"), fix=unreadable_fix, reason=exc.strerror) from None
