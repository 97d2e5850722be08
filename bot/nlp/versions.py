"""Saved model versions: each trained classifier with its training size and replay metrics.

The folder (``model.dir`` in the settings) contains:

- ``<version>.pkl``: the pickled `Classifier` (pickle protocol 5),
- ``<version>.json``: its `VersionInfo` and the pickle's SHA-256,
- ``CURRENT``: one line, the id of the version in use,
- ``.lock``: taken exclusively by writers and shared by readers.

Every file is written to a temporary file in the same folder, flushed to
disk and renamed over its target with ``os.replace``, so after a crash each
name contains either its old or its new content. A save writes the pickle,
then its JSON, then ``CURRENT``, so ``CURRENT`` always names a complete
version. A crash can leave a temporary file or a pickle without its JSON
behind; the next save deletes them.

Unpickling runs code from the file, so the folder must be writable only by
the bot's user. `ModelVersions` reads pickles only from its folder, rejects
a folder or pickle that group or others may write, and compares each pickle
with the SHA-256 in its JSON. The checksum detects damaged files, not
tampering: whoever can write the folder can rewrite both files.

scikit-learn pickles do not load reliably under another scikit-learn
version, so a version saved with another scikit-learn than the installed
one is rejected, and the fix is to retrain.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import pickle
import re
import stat
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.errors import InputError
from bot.i18n import N_

if TYPE_CHECKING:
    from bot.nlp.classifier import Classifier

log = logging.getLogger(__name__)

PICKLE_PROTOCOL = 5

# Distribution names of the libraries whose versions each saved version records.
LIBRARIES = ("scikit-learn", "numpy", "scipy", "spacy")

# The library whose pickles must be loaded by the version that wrote them.
PICKLE_LIBRARY = "scikit-learn"

CURRENT_FILE = "CURRENT"
LOCK_FILE = ".lock"

# Version ids become file names, so they contain no path separators or dots.
VERSION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")

RETRAIN_FIX = N_("retrain the model (allocbot model retrain)")
RETRAIN_OR_RESTORE_FIX = N_("retrain the model (allocbot model retrain) or make an earlier version current "
                            "(allocbot model restore VERSION)")


class ModelVersionError(InputError):
    """A saved model version cannot be written, read or used."""


class UnknownVersionError(ModelVersionError):
    """The requested version id is invalid or not in the folder, which the command line reports as bad usage."""

    exit_status = 2


@dataclass(frozen=True)
class VersionInfo:
    """A saved model version: its training set, its replay scores and the libraries that pickled it.

    ``is_current`` is not stored: `ModelVersions` sets it when it reads the
    folder, and equality ignores it.
    """

    version: str
    created: datetime  # aware, UTC
    training_size: int  # decided items the model was fitted on
    human_answers: int  # how many of them people answered, rather than imported history
    threshold: float | None  # derived auto-booking confidence threshold; None when not derived
    target_precision: float
    metrics: dict[str, Any]  # replay metrics in the layout of `allocbot evaluate --json`
    library_versions: dict[str, str]  # distribution name to version
    is_current: bool = field(default=False, compare=False)

    @classmethod
    def for_classifier(cls, classifier: Classifier, *, training_size: int, human_answers: int,
                       threshold: float | None, target_precision: float, metrics: Mapping[str, Any],
                       created: datetime | None = None) -> VersionInfo:
        """Describe ``classifier`` as trained now, with the installed library versions."""
        return cls(
            version=classifier.version,
            created=created or datetime.now(timezone.utc),
            training_size=training_size,
            human_answers=human_answers,
            threshold=threshold,
            target_precision=target_precision,
            metrics=dict(metrics),
            library_versions=installed_library_versions(),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "created": self.created.isoformat(),
            "training_size": self.training_size,
            "human_answers": self.human_answers,
            "threshold": self.threshold,
            "target_precision": self.target_precision,
            "metrics": self.metrics,
            "library_versions": self.library_versions,
        }

    @classmethod
    def from_json(cls, data: object) -> VersionInfo:
        """Read the fields that `to_json` wrote. Raises ValueError naming the missing or invalid field."""
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        missing = [name for name in cls.__dataclass_fields__ if name != "is_current" and name not in data]
        if missing:
            raise ValueError(f"missing keys: {', '.join(missing)}")

        created = datetime.fromisoformat(_typed(data, "created", str))
        if created.tzinfo is None:
            raise ValueError(f"created {data['created']!r} has no time zone")
        threshold = data["threshold"]
        if threshold is not None:
            threshold = float(_typed(data, "threshold", (int, float)))
        library_versions = _typed(data, "library_versions", dict)
        if not all(isinstance(value, str) for value in library_versions.values()):
            raise ValueError("library_versions: expected versions as strings")

        return cls(
            version=_typed(data, "version", str),
            created=created.astimezone(timezone.utc),
            training_size=_typed(data, "training_size", int),
            human_answers=_typed(data, "human_answers", int),
            threshold=threshold,
            target_precision=float(_typed(data, "target_precision", (int, float))),
            metrics=_typed(data, "metrics", dict),
            library_versions=library_versions,
        )


def installed_library_versions() -> dict[str, str]:
    """Return the installed version of each library in LIBRARIES."""
    return {name: metadata.version(name) for name in LIBRARIES}


class ModelVersions:
    """The saved model versions in one folder, at most ``keep`` of them.

    A save keeps the current version and the newest others up to ``keep``.
    `restore` deletes nothing.
    """

    def __init__(self, directory: Path, keep: int = 10) -> None:
        if keep < 1:
            raise ValueError(f"keep must be at least 1, got {keep}")
        self.directory = directory
        self.keep = keep

    def save(self, classifier: Classifier, info: VersionInfo) -> VersionInfo:
        """Write ``classifier`` and ``info`` as a new version and make it current.

        When files for ``info.version`` exist already, for example after a
        retrain on the same decided items, the version gets the first free
        suffix ``-2``, ``-3``, and so on. The stored id is also set as
        ``classifier.version``, so suggestions and audit events name the
        version that `load` returns. Raises ModelVersionError when the folder
        cannot be written, and the version current before stays current.
        """
        if info.version != classifier.version:
            raise ValueError(f"info.version {info.version!r} differs from classifier.version {classifier.version!r}")
        if not VERSION_ID.fullmatch(info.version):
            raise ValueError(f"invalid version id {info.version!r}: expected letters, digits, '-' and '_'")
        # Metrics that JSON cannot encode raise TypeError here, before anything is written.
        json.dumps(info.to_json())

        self._create_directory()
        with self._locked(exclusive=True):
            self._remove_leftovers()
            version = self._free_version_id(info.version)
            stored = replace(info, version=version, is_current=True)
            classifier.version = version
            try:
                data = pickle.dumps(classifier, protocol=PICKLE_PROTOCOL)
                record = stored.to_json() | {"pickle_sha256": hashlib.sha256(data).hexdigest()}
                self._write(self._pickle_path(version), data)
                self._write(self._info_path(version), _json_bytes(record))
                self._write(self._current_path, f"{version}\n".encode())
            except BaseException:
                classifier.version = info.version
                raise
            log.info("saved model version %s to %s: %d training items, %d human answers, threshold %s, %d bytes",
                     version, self.directory, stored.training_size, stored.human_answers, stored.threshold, len(data))

            self._prune(current=version)
        return stored

    def load(self, version: str | None = None) -> tuple[Classifier, VersionInfo]:
        """Unpickle the given version, or the current one when ``version`` is None.

        Raises UnknownVersionError for an invalid or unknown ``version``, and
        ModelVersionError when no version is current or the files cannot be
        used: missing, unreadable, damaged, writable by others, or saved with
        another scikit-learn version.
        """
        try:
            with self._locked(exclusive=False):
                if version is None:
                    version = self._require_current_id()
                else:
                    self._require_known(version)
                info, checksum = self._read_info(version)
                data = self._read_pickle(info, checksum)
                classifier = self._unpickle(version, data)
                current = self._read_current_text()
        except ModelVersionError as exc:
            _log_rejection("loading", version, self.directory, exc)
            raise

        log.info("loaded model version %s from %s", version, self.directory)
        return classifier, replace(info, is_current=version == current)

    def restore(self, version: str) -> VersionInfo:
        """Make an existing version current again.

        The version's files are checked as `load` checks them, short of
        unpickling, so a version that `load` would reject never becomes current.
        """
        try:
            self._require_known(version)
            with self._locked(exclusive=True):
                info, checksum = self._read_info(version)
                self._read_pickle(info, checksum)
                previous = self._read_current_text()
                self._write(self._current_path, f"{version}\n".encode())
        except ModelVersionError as exc:
            _log_rejection("restoring", version, self.directory, exc)
            raise

        log.info("restored model version %s in %s, replacing %s", version, self.directory, previous)
        return replace(info, is_current=True)

    def check_current(self) -> None:
        """Raise ModelVersionError when the current version's files are damaged, checking as `load` does short of unpickling."""
        with self._locked(exclusive=False):
            version = self._read_current_id()
            if version is None:
                return
            info, checksum = self._read_info(version)
            self._read_pickle(info, checksum)

    def current(self) -> VersionInfo | None:
        """Return the current version's info, or None when no version has been saved."""
        with self._locked(exclusive=False):
            version = self._read_current_id()
            if version is None:
                return None
            info, _ = self._read_info(version)
        return replace(info, is_current=True)

    def list(self) -> list[VersionInfo]:
        """Return every saved version, newest first, with ``is_current`` set on the current one.

        A version whose JSON cannot be read is logged and left out.
        """
        with self._locked(exclusive=False):
            current = self._read_current_id()
            versions = self._read_all()
        return [replace(info, is_current=info.version == current) for info in versions]

    @property
    def _current_path(self) -> Path:
        return self.directory / CURRENT_FILE

    def _pickle_path(self, version: str) -> Path:
        return self.directory / f"{version}.pkl"

    def _info_path(self, version: str) -> Path:
        return self.directory / f"{version}.json"

    def _write(self, path: Path, data: bytes) -> None:
        try:
            _write_atomically(path, data)
        except OSError as exc:
            log.error("writing %s failed: %s", path, exc)
            raise ModelVersionError(path, N_("cannot write the file: {reason}"),
                                    fix=N_("set model.dir to a folder allocbot may write to"),
                                    reason=exc.strerror or str(exc)) from None

    def _create_directory(self) -> None:
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise ModelVersionError(self.directory, N_("cannot create the model folder: {reason}"),
                                    fix=N_("set model.dir to a folder allocbot may write to"),
                                    reason=exc.strerror or str(exc)) from None

    @contextmanager
    def _locked(self, *, exclusive: bool) -> Iterator[None]:
        """Hold the folder's lock: exclusive for writers, shared for readers.

        Readers go without the lock when the lock file does not exist, because
        then this program has not written to the folder yet.
        """
        path = self.directory / LOCK_FILE
        if exclusive:
            try:
                handle = path.open("a")
            except OSError as exc:
                raise ModelVersionError(path, N_("cannot write the file: {reason}"),
                                        fix=N_("set model.dir to a folder allocbot may write to"),
                                        reason=exc.strerror or str(exc)) from None
        else:
            try:
                handle = path.open("r")
            except FileNotFoundError:
                yield
                return
        with handle:
            fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            yield

    def _remove_leftovers(self) -> None:
        """Delete temporary files and pickles without their JSON, which a crashed save leaves behind.

        The caller holds the exclusive lock, so no other save is writing them.
        """
        leftovers = list(self.directory.glob(".*.tmp"))
        leftovers += [path for path in self.directory.glob("*.pkl") if not path.with_suffix(".json").exists()]
        for path in leftovers:
            try:
                path.unlink()
            except OSError as exc:
                log.warning("cannot delete %s, left behind by an interrupted save: %s", path, exc)
                continue
            log.info("deleted %s, left behind by an interrupted save", path)

    def _free_version_id(self, version: str) -> str:
        candidate = version
        suffix = 2
        while self._pickle_path(candidate).exists() or self._info_path(candidate).exists():
            candidate = f"{version}-{suffix}"
            suffix += 1
        return candidate

    def _prune(self, current: str) -> None:
        """Delete the oldest versions beyond ``keep``, never the current one."""
        others = [info.version for info in self._read_all() if info.version != current]
        for version in others[self.keep - 1:]:
            try:
                # The JSON goes first: a pickle without its JSON is a leftover that the next save deletes.
                self._info_path(version).unlink()
                self._pickle_path(version).unlink(missing_ok=True)
            except OSError as exc:
                log.warning("cannot delete model version %s from %s: %s", version, self.directory, exc)
                continue
            log.info("deleted model version %s from %s, keeping %d versions", version, self.directory, self.keep)

    def _read_all(self) -> list[VersionInfo]:
        versions = []
        for path in self.directory.glob("*.json"):
            if not VERSION_ID.fullmatch(path.stem):
                log.warning("ignored %s: its name is not a model version id", path)
                continue
            try:
                info, _ = self._read_info(path.stem)
            except ModelVersionError as exc:
                log.warning("ignored model version %s: %s", path.stem, exc)
                continue
            versions.append(info)
        return sorted(versions, key=lambda info: (info.created, info.version), reverse=True)

    def _read_current_text(self) -> str | None:
        """Return the stripped content of CURRENT, or None when it is missing or unreadable."""
        try:
            return self._current_path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            return None

    def _read_current_id(self) -> str | None:
        """Return the version id in CURRENT, or None when CURRENT does not exist."""
        try:
            text = self._current_path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise ModelVersionError(self._current_path, N_("cannot read the file: {reason}"),
                                    fix=N_("make a version current with allocbot model restore VERSION"),
                                    reason=getattr(exc, "strerror", None) or str(exc)) from None
        if not VERSION_ID.fullmatch(text):
            raise ModelVersionError(self._current_path, N_("does not contain a valid model version id"),
                                    fix=N_("make a version current with allocbot model restore VERSION"))
        return text

    def _require_current_id(self) -> str:
        version = self._read_current_id()
        if version is None:
            raise ModelVersionError(self._current_path, N_("no model version has been saved yet"), fix=RETRAIN_FIX)
        return version

    def _require_known(self, version: str) -> None:
        if not VERSION_ID.fullmatch(version) or not self._info_path(version).is_file():
            raise UnknownVersionError(self.directory, N_("model version {version} not found"),
                                      fix=N_("use a version that allocbot model list shows"), version=version)

    def _read_info(self, version: str) -> tuple[VersionInfo, str]:
        """Return the version's info and the SHA-256 its pickle must have."""
        path = self._info_path(version)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ModelVersionError(path, N_("model version {version} not found"), fix=RETRAIN_OR_RESTORE_FIX,
                                    version=version) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ModelVersionError(path, N_("cannot read the file: {reason}"), fix=RETRAIN_OR_RESTORE_FIX,
                                    reason=getattr(exc, "strerror", None) or str(exc)) from None

        try:
            data = json.loads(text)
            info = VersionInfo.from_json(data)
            checksum = _typed(data, "pickle_sha256", str)
        except ValueError as exc:
            raise ModelVersionError(path, N_("invalid model version file: {reason}"), fix=RETRAIN_OR_RESTORE_FIX,
                                    reason=str(exc)) from None
        if info.version != version:
            raise ModelVersionError(path, N_("invalid model version file: {reason}"), fix=RETRAIN_OR_RESTORE_FIX,
                                    reason=f"it describes version {info.version}")
        return info, checksum

    def _read_pickle(self, info: VersionInfo, checksum: str) -> bytes:
        """Return the pickle's bytes once the library version, permissions and checksum allow loading them."""
        path = self._pickle_path(info.version)
        saved_with = info.library_versions.get(PICKLE_LIBRARY, "unknown")
        installed = installed_library_versions()
        if saved_with != installed[PICKLE_LIBRARY]:
            raise ModelVersionError(path, N_("saved with scikit-learn {saved}, but scikit-learn {installed} "
                                             "is installed"),
                                    fix=RETRAIN_FIX, saved=saved_with, installed=installed[PICKLE_LIBRARY])
        for name, version in installed.items():
            if info.library_versions.get(name) != version:
                log.warning("model version %s was saved with %s %s, and %s is installed",
                            info.version, name, info.library_versions.get(name), version)

        try:
            _require_private(self.directory)
            _require_private(path)
            data = path.read_bytes()
        except FileNotFoundError:
            raise ModelVersionError(path, N_("model file not found"), fix=RETRAIN_OR_RESTORE_FIX) from None
        except OSError as exc:
            raise ModelVersionError(path, N_("cannot read the file: {reason}"), fix=RETRAIN_OR_RESTORE_FIX,
                                    reason=exc.strerror or str(exc)) from None
        if hashlib.sha256(data).hexdigest() != checksum:
            raise ModelVersionError(path, N_("the file is damaged: its SHA-256 differs from the one in {info_file}"),
                                    fix=RETRAIN_OR_RESTORE_FIX, info_file=self._info_path(info.version).name)
        return data

    def _unpickle(self, version: str, data: bytes) -> Classifier:
        # Imported here so that listing versions does not load spaCy and scikit-learn.
        from bot.nlp.classifier import Classifier

        path = self._pickle_path(version)
        try:
            classifier = pickle.loads(data)
        except Exception as exc:
            # Unpickling raises whatever the pickled classes raise, for example
            # AttributeError when a class has been renamed since the save.
            raise ModelVersionError(path, N_("cannot load the model: {reason}"), fix=RETRAIN_FIX,
                                    reason=f"{type(exc).__name__}: {exc}") from None
        if not isinstance(classifier, Classifier):
            raise ModelVersionError(path, N_("cannot load the model: {reason}"), fix=RETRAIN_FIX,
                                    reason=f"it contains a {type(classifier).__name__}, not a Classifier")
        return classifier


def _log_rejection(action: str, version: str | None, directory: Path, error: ModelVersionError) -> None:
    # An unknown id is a typing mistake rather than a problem of the folder, so it is not a warning.
    level = logging.INFO if isinstance(error, UnknownVersionError) else logging.WARNING
    log.log(level, "rejected %s model version %s in %s: %s", action, version, directory, error)


def _typed(data: Mapping[str, Any], key: str, expected: type | tuple[type, ...]) -> Any:
    """Return ``data[key]`` when it has the expected JSON type; bool is not accepted as a number."""
    value = data.get(key)
    if not isinstance(value, expected) or isinstance(value, bool):
        raise ValueError(f"{key}: invalid value {value!r}")
    return value


def _json_bytes(record: Mapping[str, Any]) -> bytes:
    return (json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def _write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves either the old or the new content."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    """Flush the folder's entries, so that a rename survives a power failure."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _require_private(path: Path) -> None:
    """Raise ModelVersionError when group or others may write ``path``, because loading runs code from it."""
    mode = path.stat().st_mode
    if mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise ModelVersionError(path, N_("group or other users may write it, and loading a model runs code "
                                         "from this folder"),
                                fix=N_("make it writable only by allocbot's user, for example with chmod go-w"))
