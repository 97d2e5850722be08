"""The container files agree with each other and with the settings: ports, paths, database and secrets.

These checks read the files, because the test machines have no Docker daemon
to build the image or run ``docker compose config``.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.config import SECRET_VARIABLES, Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]

try:
    import yaml
except ImportError as error:  # pragma: no cover - depends on the environment
    if os.environ.get("CI") == "true":
        raise
    pytest.skip(f"PyYAML is not installed: {error}", allow_module_level=True)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (INSTRUCTION, arguments), continuation lines joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text(encoding="utf-8"))
    instructions = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            keyword, _, arguments = line.strip().partition(" ")
            instructions.append((keyword.upper(), arguments.strip()))
    return instructions


@pytest.fixture(scope="module")
def container_settings() -> Settings:
    return load_settings(ROOT / "docker" / "config.toml")


def instruction(dockerfile: list[tuple[str, str]], keyword: str) -> list[str]:
    return [arguments for name, arguments in dockerfile if name == keyword]


def published_ports(service: dict) -> dict[int, tuple[str, int]]:
    """Map the container ports of a service to (host address, host port)."""
    ports = {}
    for entry in service["ports"]:
        host, host_port, container_port = entry.split(":")
        ports[int(container_port)] = (host, int(host_port))
    return ports


# --- Dockerfile ------------------------------------------------------------------


def test_dockerfile_base_and_user(dockerfile):
    assert instruction(dockerfile, "FROM") == ["python:3.11-slim"]
    [user] = instruction(dockerfile, "USER")
    assert user not in ("root", "0")
    assert "useradd --create-home --uid 10001 allocbot" in " ".join(instruction(dockerfile, "RUN"))


def test_dockerfile_runs_bot(dockerfile, compose):
    assert [json.loads(entry) for entry in instruction(dockerfile, "ENTRYPOINT")] == [["allocbot"]]
    [command] = [json.loads(entry) for entry in instruction(dockerfile, "CMD")]
    assert command == ["--config", "/data/etc/config.toml", "run"]
    assert compose["services"]["allocbot"]["command"] == command


def test_dockerfile_healthcheck(dockerfile, container_settings):
    [healthcheck] = instruction(dockerfile, "HEALTHCHECK")
    options = dict(re.findall(r"--([a-z-]+)=(\S+)", healthcheck))
    probe = json.loads(healthcheck.split("CMD", 1)[1])

    assert f"http://127.0.0.1:{container_settings.service.health_port}/healthz" in probe[-1]
    assert options["timeout"] == "10s"
    assert re.search(r"timeout=(\d+)", probe[-1]).group(1) == "8"


def test_dockerfile_ports(dockerfile, container_settings):
    [exposed] = instruction(dockerfile, "EXPOSE")
    assert set(map(int, exposed.split())) == {container_settings.slack.listen_port,
                                              container_settings.service.health_port}


def test_dockerfile_installs_pinned_dependencies(dockerfile, tmp_path):
    """The RUN step that lists the dependencies gives each at the exact version pyproject.toml pins."""
    [step] = [run for run in instruction(dockerfile, "RUN") if "tomllib" in run]
    listing = step.split(">", 1)[0]
    (tmp_path / "pyproject.toml").write_bytes((ROOT / "pyproject.toml").read_bytes())

    python_code = shlex.split(listing)[2]
    output = subprocess.run([sys.executable, "-c", python_code], cwd=tmp_path, capture_output=True, text=True,
                            check=True).stdout

    requirements = output.split()
    assert "prometheus-client==0.26.0" in requirements
    assert "python-json-logger==4.2.0" in requirements
    assert [line for line in requirements if "==" not in line] == []
    assert "pip install --no-cache-dir -r requirements.txt" in step


def test_dockerignore_keeps_secrets_out():
    lines = [line for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
             if line and not line.startswith("#")]
    assert lines[0] == "*"
    allowed = {line[1:] for line in lines if line.startswith("!")}
    assert allowed == {"pyproject.toml", "README.md", "bot/", "connectors/"}


# --- compose.yaml ------------------------------------------------------------------


def test_compose_postgres_volume(compose):
    db = compose["services"]["db"]
    assert db["image"] == "postgres:16"
    assert "pgdata:/var/lib/postgresql/data" in db["volumes"]
    assert "pgdata" in compose["volumes"]
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])


def test_compose_store_url_matches_db(compose, container_settings):
    url = make_url(container_settings.store.url)
    environment = compose["services"]["db"]["environment"]

    assert url.get_backend_name() == "postgresql"
    assert url.host == "db"
    assert url.password is None
    assert url.username == environment["POSTGRES_USER"]
    assert url.database == environment["POSTGRES_DB"]
    assert environment["POSTGRES_PASSWORD"].startswith("${ALLOCBOT_DB_PASSWORD:?")


def test_compose_secrets_from_env_file(compose):
    allocbot = compose["services"]["allocbot"]
    assert allocbot["env_file"] == ".env"
    assert "environment" not in allocbot
    assert allocbot["depends_on"]["db"]["condition"] == "service_healthy"


def test_compose_mounts(compose, container_settings):
    allocbot = compose["services"]["allocbot"]
    assert "./docker:/data/etc:ro" in allocbot["volumes"]
    assert "allocbot-var:/data/var" in allocbot["volumes"]
    assert "allocbot-var" in compose["volumes"]

    written = [container_settings.mail.documents_dir, container_settings.mail.inbox_dir,
               container_settings.model.dir, container_settings.export.export_dir]
    assert [path for path in written if not str(path).startswith("/data/var/")] == []
    assert str(container_settings.master_data).startswith("/data/etc/")


def test_compose_ports_on_loopback(compose, container_settings):
    ports = published_ports(compose["services"]["allocbot"])
    assert ports == {
        container_settings.slack.listen_port: ("127.0.0.1", container_settings.slack.listen_port),
        container_settings.service.health_port: ("127.0.0.1", container_settings.service.health_port),
    }


def test_compose_stop_grace_exceeds_shutdown(compose, container_settings):
    grace = compose["services"]["allocbot"]["stop_grace_period"]
    assert int(grace.removesuffix("s")) > container_settings.service.shutdown_seconds


# --- docker/config.toml and docker/env.example --------------------------------------


def test_container_listens_everywhere(container_settings):
    assert container_settings.service.health_host == "0.0.0.0"
    assert container_settings.slack.listen_host == "0.0.0.0"
    assert container_settings.service.log_format == "json"


def test_env_example_names_every_secret(container_settings):
    text = (ROOT / "docker" / "env.example").read_text(encoding="utf-8")
    assignments = dict(re.findall(r"^([A-Z0-9_]+)=(.*)$", text, re.MULTILINE))

    expected = set(SECRET_VARIABLES.values()) | {
        container_settings.mailbox.password_env,
        container_settings.smtp.password_env,
        container_settings.export.tripletex.consumer_token_env,
        container_settings.export.tripletex.employee_token_env,
        container_settings.export.sap.password_env,
    }
    assert set(assignments) == expected
    assert {value for value in assignments.values()} == {""}
