"""Saved model versions: atomic saves, loading, restoring, pruning, rejections and the ``allocbot model`` commands."""

from __future__ import annotations

import errno
import hashlib
import io
import json
import logging
import os
import pickle
from contextlib import redirect_stderr, redirect_stdout
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from bot.cli import main
from bot.i18n import Translator
from bot.masterdata import parse_master_data
from bot.nlp.classifier import Classifier
from bot.nlp.versions import (
    CURRENT_FILE,
    ModelVersionError,
    ModelVersions,
    UnknownVersionError,
    VersionInfo,
    installed_library_versions,
)
from bot.records import Allocation, ReportItem

MASTER = parse_master_data(
    {
        "cost_centers": [
            {"code": "100", "name": "Administrasjon", "description": "Kontorrekvisita og møter"},
            {"code": "400", "name": "IT", "description": "IT-utstyr, programvare og lisenser"},
        ],
        "accounts": [
            {"number": "6551", "name": "Datautstyr", "default_tax_code": "1"},
            {"number": "6800", "name": "Kontorrekvisita", "default_tax_code": "1"},
        ],
        "tax_codes": [{"code": "1", "name": "Inngående mva, høy sats", "rate": 25}],
        "employees": [
            {"email": "ola.hansen@example.no", "name": "Ola Hansen", "cost_center": "400"},
            {"email": "lise.dahl@example.no", "name": "Lise Dahl", "cost_center": "100"},
        ],
    },
    Path("test.toml"),
)

IT_GEAR = Allocation("400", None, "6551", "1")
OFFICE_SUPPLIES = Allocation("100", None, "6800", "1")

PRODUCTS = [
    ("Logitech MX Master 3S kabellose Maus", "B09HM94VDS", "ola.hansen@example.no", IT_GEAR),
    ("Dell P2723DE 27 Zoll Monitor", "B0B5TJ2QXR", "ola.hansen@example.no", IT_GEAR),
    ("Leitz Ordner A4, 10 Stück", "B00J4QWHJ2", "lise.dahl@example.no", OFFICE_SUPPLIES),
    ("Post-it Haftnotizen gelb, 12 Blöcke", "B0013C9M3U", "lise.dahl@example.no", OFFICE_SUPPLIES),
]

CREATED = datetime(2026, 11, 2, 9, 30, tzinfo=timezone.utc)


def make_item(line: int, title: str, asin: str, requester: str) -> ReportItem:
    return ReportItem(
        source="report.csv", line=line, order_id=f"302-0000000-{line:07d}", order_date=date(2026, 10, 1),
        currency="EUR", title=title, quantity=1, unit_price=Decimal("24.99"), net_total=Decimal("24.99"),
        account_user_email=requester, shipping_address="Nordlys Teknikk AS, Industriveien 12, LILLESTRØM, 2004, NO",
        asin=asin,
    )


def history(repeats: int) -> list[tuple[ReportItem, Allocation]]:
    """Return ``repeats`` orders of each product; a larger count adds new orders to those of a smaller one."""
    examples = []
    for repeat in range(repeats):
        for index, (title, asin, requester, allocation) in enumerate(PRODUCTS):
            line = 2 + repeat * len(PRODUCTS) + index
            examples.append((make_item(line, title, asin, requester), allocation))
    return examples


def trained(repeats: int = 6) -> Classifier:
    classifier = Classifier(MASTER)
    classifier.learn(history(repeats))
    return classifier


def describe(classifier: Classifier, created: datetime = CREATED, **changes) -> VersionInfo:
    values = dict(training_size=24, human_answers=3, threshold=0.87, target_precision=0.98,
                  metrics={"items": 24, "accuracy": 0.93, "learning_curve": []}, created=created)
    values.update(changes)
    return VersionInfo.for_classifier(classifier, **values)


def save_new(versions: ModelVersions, repeats: int, created: datetime = CREATED) -> VersionInfo:
    classifier = trained(repeats)
    return versions.save(classifier, describe(classifier, created, training_size=len(PRODUCTS) * repeats))


def unseen_item() -> ReportItem:
    """An item that no decided item matches, so the fitted model, not the memory, suggests its allocation."""
    return make_item(900, "Samsung T7 externe SSD 1 TB", "B0874XN4D8", "ola.hansen@example.no")


@pytest.fixture
def versions(tmp_path: Path) -> ModelVersions:
    return ModelVersions(tmp_path / "models", keep=3)


def test_classifier_pickles():
    classifier = trained()

    copy = pickle.loads(pickle.dumps(classifier, protocol=5))

    assert copy.version == classifier.version
    assert copy.suggest(unseen_item()) == classifier.suggest(unseen_item())


def test_save_load_round_trip(versions):
    classifier = trained()
    expected = classifier.suggest(unseen_item())

    stored = versions.save(classifier, describe(classifier))
    loaded, info = versions.load()

    assert expected[0].source == "model"
    assert loaded.suggest(unseen_item()) == expected
    assert info == stored
    assert info.is_current
    assert info.version == classifier.version
    assert info.training_size == 24
    assert info.library_versions == installed_library_versions()
    assert (versions.directory / f"{stored.version}.pkl").is_file()
    assert (versions.directory / f"{stored.version}.json").is_file()
    assert (versions.directory / CURRENT_FILE).read_text(encoding="utf-8") == f"{stored.version}\n"


def test_version_info_json_round_trip():
    info = describe(trained(), threshold=None, metrics={"accuracy": 0.5, "fields": {"project": 0.75}})

    restored = VersionInfo.from_json(json.loads(json.dumps(info.to_json())))

    assert restored == info
    assert restored.created.tzinfo is not None
    assert restored.threshold is None


def test_version_info_without_time_zone_rejected():
    data = describe(trained()).to_json() | {"created": "2026-11-02T09:30:00"}

    with pytest.raises(ValueError, match="has no time zone"):
        VersionInfo.from_json(data)


def test_unserializable_metrics_write_nothing(versions):
    classifier = trained()

    with pytest.raises(TypeError):
        versions.save(classifier, describe(classifier, metrics={"accuracy": Decimal("0.9")}))

    assert not versions.directory.exists()


def test_save_moves_current(versions):
    first = save_new(versions, 6)
    second = save_new(versions, 7, CREATED + timedelta(hours=1))

    listed = versions.list()

    assert first.version != second.version
    assert versions.current() == second
    assert [info.version for info in listed] == [second.version, first.version]
    assert [info.is_current for info in listed] == [True, False]


def test_same_version_gets_suffix(versions):
    first = save_new(versions, 6)
    classifier = trained(6)

    second = versions.save(classifier, describe(classifier, CREATED + timedelta(hours=1)))

    assert second.version == f"{first.version}-2"
    assert classifier.version == second.version
    assert versions.load(first.version)[1] == first
    assert versions.load()[0].version == second.version


def test_restore_older_version(versions, caplog):
    first = save_new(versions, 6)
    save_new(versions, 7, CREATED + timedelta(hours=1))
    caplog.set_level(logging.INFO, logger="bot.nlp.versions")

    restored = versions.restore(first.version)
    loaded, info = versions.load()

    assert restored == first
    assert restored.is_current
    assert info == first
    assert loaded.version == first.version
    assert (versions.directory / CURRENT_FILE).read_text(encoding="utf-8") == f"{first.version}\n"
    assert f"restored model version {first.version}" in caplog.text


def test_restore_unknown_version_rejected(versions):
    save_new(versions, 6)

    with pytest.raises(UnknownVersionError) as error:
        versions.restore("m-1-deadbeef")

    assert error.value.exit_status == 2
    assert "model version m-1-deadbeef not found" in str(error.value)
    assert "allocbot model list" in str(error.value)


@pytest.mark.parametrize("version", ["../models/m-24-x", "", ".lock", "m 1"])
def test_invalid_version_id_rejected(versions, version):
    save_new(versions, 6)

    with pytest.raises(UnknownVersionError):
        versions.load(version)


def test_prune_keeps_newest(versions):
    saved = [save_new(versions, repeats, CREATED + timedelta(hours=repeats)) for repeats in range(6, 11)]

    listed = [info.version for info in versions.list()]

    assert listed == [info.version for info in reversed(saved[2:])]
    for deleted in saved[:2]:
        assert not (versions.directory / f"{deleted.version}.pkl").exists()
        assert not (versions.directory / f"{deleted.version}.json").exists()


def test_prune_never_deletes_current(tmp_path):
    versions = ModelVersions(tmp_path / "models", keep=2)
    oldest = save_new(versions, 6, CREATED)
    newer = save_new(versions, 7, CREATED + timedelta(hours=1))

    # Dated before both others, so the current version is the oldest one when pruning runs.
    current = save_new(versions, 8, CREATED - timedelta(days=1))

    listed = [info.version for info in versions.list()]
    assert listed == [newer.version, current.version]
    assert versions.current() == current
    assert not (versions.directory / f"{oldest.version}.pkl").exists()


@pytest.mark.parametrize("failing", ["pkl", "json", CURRENT_FILE])
def test_crash_during_save_keeps_old_version(versions, monkeypatch, failing):
    old = save_new(versions, 6)
    replace = os.replace

    def fail_on_target(source, target, *args, **kwargs):
        if Path(target).name.endswith(failing):
            raise OSError(errno.EIO, "simulated crash", str(target))
        replace(source, target, *args, **kwargs)

    monkeypatch.setattr(os, "replace", fail_on_target)
    classifier = trained(7)
    with pytest.raises(ModelVersionError) as error:
        versions.save(classifier, describe(classifier, CREATED + timedelta(hours=1)))
    monkeypatch.undo()

    loaded, info = versions.load()
    assert "cannot write the file" in str(error.value)
    assert versions.current() == old
    assert info == old
    assert loaded.suggest(unseen_item()) == trained(6).suggest(unseen_item())
    assert list(versions.directory.glob("*.tmp")) == []


def test_leftovers_of_crash_deleted_on_save(versions):
    old = save_new(versions, 6)
    temporary = versions.directory / ".CURRENT.abc123.tmp"
    temporary.write_text("m-0-none\n", encoding="utf-8")
    orphan = versions.directory / "m-99-0123abcd.pkl"
    orphan.write_bytes(b"half a pickle")

    save_new(versions, 7, CREATED + timedelta(hours=1))

    assert not temporary.exists()
    assert not orphan.exists()
    assert (versions.directory / f"{old.version}.pkl").exists()


def test_truncated_pickle_rejected(versions):
    stored = save_new(versions, 6)
    path = versions.directory / f"{stored.version}.pkl"
    path.write_bytes(path.read_bytes()[:1000])

    with pytest.raises(ModelVersionError) as error:
        versions.load()

    message = str(error.value)
    assert str(path) in message
    assert "the file is damaged: its SHA-256 differs from the one in" in message
    assert "retrain the model (allocbot model retrain)" in message


def test_unloadable_pickle_rejected(versions):
    stored = save_new(versions, 6)
    path = versions.directory / f"{stored.version}.pkl"
    data = pickle.dumps(trained(), protocol=5)[:-50]
    path.write_bytes(data)
    info_path = versions.directory / f"{stored.version}.json"
    record = json.loads(info_path.read_text(encoding="utf-8"))
    record["pickle_sha256"] = hashlib.sha256(data).hexdigest()
    info_path.write_text(json.dumps(record), encoding="utf-8")

    with pytest.raises(ModelVersionError) as error:
        versions.load()

    assert str(path) in str(error.value)
    assert "cannot load the model: " in str(error.value)
    assert "retrain the model (allocbot model retrain)" in str(error.value)


def test_missing_pickle_rejected(versions):
    stored = save_new(versions, 6)
    path = versions.directory / f"{stored.version}.pkl"
    path.unlink()

    with pytest.raises(ModelVersionError) as error:
        versions.load()

    assert f"{path}: model file not found" in str(error.value)


def test_other_scikit_learn_version_rejected(versions, caplog):
    stored = save_new(versions, 6)
    info_path = versions.directory / f"{stored.version}.json"
    record = json.loads(info_path.read_text(encoding="utf-8"))
    record["library_versions"]["scikit-learn"] = "0.24.2"
    info_path.write_text(json.dumps(record), encoding="utf-8")

    with pytest.raises(ModelVersionError) as error:
        versions.load()

    installed = installed_library_versions()["scikit-learn"]
    message = str(error.value)
    assert str(versions.directory / f"{stored.version}.pkl") in message
    assert f"saved with scikit-learn 0.24.2, but scikit-learn {installed} is installed" in message
    assert message.endswith("(retrain the model (allocbot model retrain))")
    assert f"rejected loading model version {stored.version}" in caplog.text


def test_other_scikit_learn_version_not_restored(versions):
    old = save_new(versions, 6)
    save_new(versions, 7, CREATED + timedelta(hours=1))
    info_path = versions.directory / f"{old.version}.json"
    record = json.loads(info_path.read_text(encoding="utf-8"))
    record["library_versions"]["scikit-learn"] = "0.24.2"
    info_path.write_text(json.dumps(record), encoding="utf-8")

    with pytest.raises(ModelVersionError):
        versions.restore(old.version)

    assert versions.current().version != old.version


def test_invalid_info_file_rejected(versions):
    stored = save_new(versions, 6)
    info_path = versions.directory / f"{stored.version}.json"
    info_path.write_text('{"version": "m-1"', encoding="utf-8")

    with pytest.raises(ModelVersionError) as error:
        versions.load()

    assert f"{info_path}: invalid model version file: " in str(error.value)
    assert versions.list() == []


def test_folder_writable_by_others_rejected(versions):
    save_new(versions, 6)
    versions.directory.chmod(0o770)

    with pytest.raises(ModelVersionError) as error:
        versions.load()

    assert str(versions.directory) in str(error.value)
    assert "chmod go-w" in str(error.value)


def test_no_version_yet(versions):
    assert versions.current() is None
    assert versions.list() == []
    with pytest.raises(ModelVersionError) as error:
        versions.load()
    assert "no model version has been saved yet" in str(error.value)


def test_error_in_norwegian(versions):
    stored = save_new(versions, 6)
    (versions.directory / f"{stored.version}.pkl").unlink()

    with pytest.raises(ModelVersionError) as error:
        versions.load()

    text = error.value.describe(Translator("nb"))
    assert text.endswith(": fant ikke modellfilen (tren modellen på nytt (allocbot model retrain) eller ta i bruk en "
                         "tidligere versjon (allocbot model restore VERSION))")


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


def write_config(folder: Path, language: str | None) -> Path:
    config = folder / "config.toml"
    lines = [f'language = "{language}"'] if language else []
    lines += ["[model]", 'dir = "models"', "keep_versions = 5"]
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def test_cli_list_empty_in_norwegian(tmp_path):
    config = write_config(tmp_path, None)

    status, out, _ = run(["--config", str(config), "model", "list"])

    assert status == 0
    assert out == "Ingen modellversjoner ennå.\n"


def test_cli_list_table(tmp_path):
    config = write_config(tmp_path, "en")
    versions = ModelVersions(tmp_path / "models")
    first = save_new(versions, 6)
    classifier = trained(7)
    second = versions.save(classifier, describe(classifier, CREATED + timedelta(hours=1), training_size=28,
                                                threshold=None, metrics={}))

    status, out, _ = run(["--config", str(config), "model", "list"])

    lines = out.splitlines()
    created = CREATED.astimezone()
    assert status == 0
    assert lines[0].split() == ["Version", "Created", "Training", "items", "Human", "answers", "Threshold",
                                "Accuracy"]
    assert lines[2].split() == ["*", second.version, *(CREATED + timedelta(hours=1)).astimezone()
                                .strftime("%Y-%m-%d %H:%M").split(), "28", "3", "-", "-"]
    assert lines[3].split() == [first.version, *created.strftime("%Y-%m-%d %H:%M").split(), "24", "3",
                                "87.0", "%", "93.0", "%"]
    assert lines[4] == "* current version"


def test_cli_list_in_norwegian(tmp_path):
    config = write_config(tmp_path, None)
    stored = save_new(ModelVersions(tmp_path / "models"), 6)

    status, out, _ = run(["--config", str(config), "model", "list"])

    assert status == 0
    assert out.splitlines()[0].split()[:2] == ["Versjon", "Opprettet"]
    assert f"{stored.version}  {CREATED.astimezone():%d.%m.%Y %H:%M}" in out
    assert "87,0 %" in out
    assert out.splitlines()[-1] == "* versjonen i bruk"


def test_cli_restore(tmp_path):
    config = write_config(tmp_path, "en")
    versions = ModelVersions(tmp_path / "models")
    first = save_new(versions, 6)
    save_new(versions, 7, CREATED + timedelta(hours=1))

    status, out, _ = run(["--config", str(config), "model", "restore", first.version])

    assert status == 0
    assert out == f"Model version {first.version} is now current.\n"
    assert versions.current() == first


def test_cli_restore_unknown_version(tmp_path):
    config = write_config(tmp_path, "en")
    save_new(ModelVersions(tmp_path / "models"), 6)

    status, out, err = run(["--config", str(config), "model", "restore", "m-1-deadbeef"])

    assert status == 2
    assert out == ""
    assert err == (f"allocbot: {tmp_path / 'models'}: model version m-1-deadbeef not found "
                   "(use a version that allocbot model list shows)\n")


def test_cli_list_reports_damaged_current(tmp_path):
    config = write_config(tmp_path, "en")
    versions = ModelVersions(tmp_path / "models")
    saved = save_new(versions, 6)
    pickle_path = tmp_path / "models" / f"{saved.version}.pkl"
    pickle_path.write_bytes(pickle_path.read_bytes()[:100])

    status, out, _ = run(["--config", str(config), "model", "list"])

    assert status == 1
    assert saved.version in out
    assert out.splitlines()[-1].startswith("The current model version is damaged: ")
