"""The machine and the code a benchmark ran on, for its printed and JSON results."""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
from pathlib import Path
from typing import Any


def describe_machine() -> dict[str, Any]:
    """Return the CPU model, the cores this process may use, the Python version and the load averages now.

    The load averages show how busy the shared machine was when the
    benchmark ran, which explains slow outliers.
    """
    return {
        "cpu": cpu_name(),
        "cores": len(os.sched_getaffinity(0)),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "load_average": [round(value, 2) for value in os.getloadavg()],
    }


def cpu_name() -> str:
    """Return the CPU model from /proc/cpuinfo, or what ``platform`` knows where that file is missing."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def describe_code(root: Path) -> dict[str, Any]:
    """Return the commit checked out in ``root``, the files changed since, and a digest of ``bot/``.

    The digest covers the content of every Python file under ``bot/``, so
    two results with the same digest ran the same application code, even
    on an uncommitted working tree.
    """
    digest = hashlib.sha256()
    for path in sorted((root / "bot").rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return {
        "commit": _git(root, "rev-parse", "HEAD"),
        "changed_files": _git(root, "status", "--porcelain", "--untracked-files=no").splitlines(),
        "bot_digest": digest.hexdigest()[:12],
    }


def _git(root: Path, *arguments: str) -> str:
    try:
        finished = subprocess.run(["git", *arguments], cwd=root, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return finished.stdout.strip()
