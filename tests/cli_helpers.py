"""Run the allocbot command line in-process against a test store."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

from bot.cli import main
from bot.store.database import Store


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """Run ``allocbot`` with ``argv``; return its exit status, standard output and standard error."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


def write_config(store: Store, tmp_path: Path, language: str = "nb") -> Path:
    """Write a settings file that uses ``store`` and ``language``, and return its path."""
    config = tmp_path / f"config-{language}.toml"
    url = store.engine.url.render_as_string(hide_password=False)
    config.write_text(f'language = "{language}"\n[store]\nurl = "{url}"\n', encoding="utf-8")
    return config
