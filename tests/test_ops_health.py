"""The health endpoint and the Prometheus metrics over real HTTP on loopback, on SQLite and PostgreSQL.

A store that cannot be reached is a PostgreSQL URL aimed at a small TCP
server the test runs on loopback: one that closes each connection at once,
or one that never responds.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.config import Settings
from bot.errors import InputError
from bot.ops import health
from bot.ops.health import HealthServer
from bot.store.database import Store
from bot.store.models import (
    AllocationRow,
    AmazonItem,
    AmazonOrder,
    Document,
    JobRun,
    Lease,
    MailMessage,
    Question,
    TrainingLabel,
    VoucherRow,
)

NOW = datetime.now(timezone.utc)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def settings_on(port: int) -> Settings:
    defaults = Settings()
    return defaults.model_copy(update={"service": defaults.service.model_copy(update={"health_port": port})})


@contextmanager
def serving(store: Store, checks=None) -> Iterator[HealthServer]:
    server = HealthServer(settings_on(free_port()), store, "replica-1", checks)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def get(server: HealthServer, path: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}{path}", timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def scrape(server: HealthServer) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Return every sample of /metrics by name and sorted labels."""
    status, _, body = get(server, "/metrics")
    assert status == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }


@contextmanager
def unreachable_postgres(*, answer: bool) -> Iterator[Store]:
    """A store whose server on loopback closes each connection (``answer``) or accepts and stays silent."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            if answer:
                connection.close()
            else:
                accepted.append(connection)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    store = Store(f"postgresql+psycopg2://allocbot@127.0.0.1:{port}/allocbot")
    try:
        yield store
    finally:
        stop.set()
        thread.join()
        for connection in accepted:
            connection.close()
        listener.close()
        store.close()


# --- rows ------------------------------------------------------------------------


def add_items(store: Store, states: list[str]) -> list[int]:
    with store.session() as session:
        document = Document(kind="order_report", filename="report.csv", sha256="a" * 64)
        order = AmazonOrder(order_id="302-1", order_date=date(2026, 11, 2), currency="NOK")
        session.add(document)
        session.add(order)
        session.flush()
        items = [
            AmazonItem(amazon_order_id=order.id, document_id=document.id, item_key=f"302-1:{index}", line=index,
                       title="USB-C cable", quantity=1, unit_price=Decimal("99.00"), net_total=Decimal("99.00"),
                       currency="NOK", state=state)
            for index, state in enumerate(states)
        ]
        session.add_all(items)
        session.flush()
        return [item.id for item in items]


def add_question(store: Store, item_id: int, *, kind: str = "question", age: timedelta, sent: bool = True,
                 status: str = "open") -> None:
    with store.session() as session:
        session.add(Question(item_id=item_id, kind=kind, asked_email="kari.nordmann@example.no", status=status,
                             created_at=NOW - age, sent_at=NOW - age if sent else None))


def add_allocation(store: Store, item_id: int, *, source: str, age: timedelta) -> None:
    with store.session() as session:
        session.add(AllocationRow(item_id=item_id, source=source, decided_by="kari.nordmann@example.no",
                                  decided_at=NOW - age, status="approved"))


def add_voucher(store: Store, number: str, *, status: str, age: timedelta) -> None:
    with store.session() as session:
        session.add(VoucherRow(number=number, connector="csv", grouping="item", date=date(2026, 11, 30),
                               status=status, created_at=NOW - age))


def add_job_run(store: Store, job: str, *, status: str, due: datetime, finished: datetime | None) -> None:
    with store.session() as session:
        session.add(JobRun(job=job, due_at=due, replica="replica-1", status=status, started_at=due,
                           lease_until=due + timedelta(minutes=1), finished_at=finished))


def add_mail(store: Store, uid: int, *, status: str, claimed: datetime, finished: datetime | None) -> None:
    with store.session() as session:
        session.add(MailMessage(account="allocbot@example.no", folder="INBOX", uidvalidity=1, uid=uid,
                                sender="kari.nordmann@example.no", status=status, claimed_at=claimed,
                                finished_at=finished))


# --- /healthz --------------------------------------------------------------------


def test_healthz_ok(store):
    with serving(store) as server:
        status, content_type, body = get(server, "/healthz")

    assert status == 200
    assert content_type == "application/json"
    assert json.loads(body) == {"status": "ok", "replica": "replica-1", "checks": {"store": "ok"}}


def test_healthz_failing_check(store):
    def raises() -> bool:
        raise RuntimeError("scheduler gone")

    checks = {"scheduler": lambda: False, "mailbox": raises, "slack": lambda: True}
    with serving(store, checks) as server:
        status, _, body = get(server, "/healthz")

    assert status == 503
    answer = json.loads(body)
    assert answer["status"] == "failing"
    assert answer["checks"] == {"store": "ok", "scheduler": "failing", "mailbox": "failing", "slack": "ok"}
    assert b"scheduler gone" not in body


def test_healthz_recovers_when_check_passes(store, caplog):
    caplog.set_level(logging.INFO, logger="bot.ops.health")
    passing = threading.Event()
    with serving(store, {"scheduler": passing.is_set}) as server:
        first, _, _ = get(server, "/healthz")
        get(server, "/healthz")
        passing.set()
        second, _, _ = get(server, "/healthz")

    assert first == 503
    assert second == 200
    failing_logs = [record for record in caplog.records if "scheduler is failing" in record.getMessage()]
    assert len(failing_logs) == 1
    assert any("scheduler passes again" in record.getMessage() for record in caplog.records)


def test_healthz_store_refuses():
    with unreachable_postgres(answer=True) as store, serving(store) as server:
        status, _, body = get(server, "/healthz")

    assert status == 503
    assert json.loads(body)["checks"] == {"store": "failing"}


def test_healthz_store_silent(monkeypatch):
    monkeypatch.setattr(health, "CHECK_TIMEOUT_SECONDS", 0.5)
    with unreachable_postgres(answer=False) as store, serving(store) as server:
        status, _, body = get(server, "/healthz")

    assert status == 503
    assert json.loads(body)["checks"] == {"store": "failing"}


def test_healthz_checks_side_by_side(store, monkeypatch):
    monkeypatch.setattr(health, "CHECK_TIMEOUT_SECONDS", 1.0)

    def slow() -> bool:
        time.sleep(0.7)
        return True

    with serving(store, {"scheduler": slow, "mailbox": slow}) as server:
        status, _, body = get(server, "/healthz")

    assert status == 200, body


def test_unknown_path_not_found(store):
    with serving(store) as server:
        status, _, body = get(server, "/admin")

    assert status == 404
    assert body == b"not found\n"


def test_query_string_ignored(store):
    with serving(store) as server:
        status, _, _ = get(server, "/healthz?probe=docker")

    assert status == 200


def test_port_in_use_names_address(store):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(InputError) as raised:
            HealthServer(settings_on(port), store, "replica-1")

    assert f"127.0.0.1:{port}" in str(raised.value)
    assert "service.health_port" in str(raised.value)


def test_port_zero_rejected(store):
    with pytest.raises(ValueError, match="health_port is 0"):
        HealthServer(settings_on(0), store, "replica-1")


def test_stop_closes_port(store):
    with serving(store) as server:
        port = server.port

    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


# --- /metrics --------------------------------------------------------------------


def test_metrics_empty_store(store):
    with serving(store) as server:
        samples = scrape(server)

    assert samples[("allocbot_store_up", ())] == 1
    assert not [key for key in samples if key[0] in ("allocbot_items", "allocbot_auto_booked_ratio",
                                                     "allocbot_question_oldest_open_timestamp_seconds")]
    assert samples[("allocbot_questions_unsent", ())] == 0


def test_metrics_count_items(store):
    item_ids = add_items(store, ["new", "new", "asked", "asked", "decided", "posted", "posted", "posted"])
    with store.session() as session:
        session.add(TrainingLabel(item_id=item_ids[0], cost_center="400", account="6540", tax_code="1",
                                  source="history"))

    with serving(store) as server:
        samples = scrape(server)

    assert samples[("allocbot_items", (("state", "new"),))] == 1
    assert samples[("allocbot_items", (("state", "asked"),))] == 2
    assert samples[("allocbot_items", (("state", "decided"),))] == 1
    assert samples[("allocbot_items", (("state", "posted"),))] == 3
    assert ("allocbot_items", (("state", "suggested"),)) not in samples


def test_metrics_questions_by_age(store):
    item_ids = add_items(store, ["asked"] * 6)
    add_question(store, item_ids[0], age=timedelta(hours=2))
    add_question(store, item_ids[1], age=timedelta(hours=30), sent=False)
    add_question(store, item_ids[2], age=timedelta(days=2, hours=23))
    add_question(store, item_ids[3], age=timedelta(days=5))
    add_question(store, item_ids[4], kind="approval", age=timedelta(days=4), sent=False)
    add_question(store, item_ids[5], age=timedelta(days=9), status="answered")

    with serving(store) as server:
        samples = scrape(server)

    def open_questions(kind: str, age: str) -> float:
        return samples[("allocbot_questions_open", (("age", age), ("kind", kind)))]

    assert open_questions("question", "under_1d") == 1
    assert open_questions("question", "1d_to_3d") == 2
    assert open_questions("question", "over_3d") == 1
    assert open_questions("approval", "under_1d") == 0
    assert open_questions("approval", "over_3d") == 1
    assert samples[("allocbot_questions_unsent", ())] == 2
    oldest = samples[("allocbot_question_oldest_open_timestamp_seconds", ())]
    assert oldest == pytest.approx((NOW - timedelta(days=5)).timestamp(), abs=1e-3)


def test_metrics_auto_booked_share(store):
    item_ids = add_items(store, ["decided"] * 5)
    add_allocation(store, item_ids[0], source="auto", age=timedelta(days=2))
    add_allocation(store, item_ids[1], source="auto", age=timedelta(days=3))
    add_allocation(store, item_ids[2], source="human", age=timedelta(days=1))
    add_allocation(store, item_ids[3], source="human", age=timedelta(days=40))
    add_allocation(store, item_ids[4], source="human", age=timedelta(days=60))

    with serving(store) as server:
        samples = scrape(server)

    assert samples[("allocbot_allocations", (("source", "auto"),))] == 2
    assert samples[("allocbot_allocations", (("source", "human"),))] == 3
    assert samples[("allocbot_auto_booked_ratio", (("window", "all"),))] == pytest.approx(2 / 5)
    assert samples[("allocbot_auto_booked_ratio", (("window", "30d"),))] == pytest.approx(2 / 3)


def test_metrics_posting_failures(store):
    add_voucher(store, "ABK7QM0000001", status="posted", age=timedelta(days=3))
    add_voucher(store, "ABK7QM0000002", status="rejected", age=timedelta(days=2))
    add_voucher(store, "ABK7QM0000003", status="sending", age=timedelta(hours=5))
    add_voucher(store, "ABK7QM0000004", status="sending", age=timedelta(minutes=1))
    first_due = datetime(2026, 12, 1, 6, 0, tzinfo=timezone.utc)
    add_job_run(store, "posting", status="done", due=first_due, finished=first_due + timedelta(seconds=40))
    add_job_run(store, "posting", status="failed", due=first_due + timedelta(minutes=30),
                finished=first_due + timedelta(minutes=31))
    add_job_run(store, "posting", status="done", due=first_due + timedelta(minutes=60),
                finished=first_due + timedelta(minutes=61))
    add_job_run(store, "monthly-report", status="running", due=first_due, finished=None)

    with serving(store) as server:
        samples = scrape(server)

    assert samples[("allocbot_vouchers", (("status", "rejected"),))] == 1
    assert samples[("allocbot_vouchers", (("status", "sending"),))] == 2
    assert samples[("allocbot_vouchers", (("status", "posted"),))] == 1
    assert samples[("allocbot_voucher_oldest_sending_timestamp_seconds", ())] == pytest.approx(
        (NOW - timedelta(hours=5)).timestamp(), abs=1e-3)
    assert samples[("allocbot_job_runs", (("job", "posting"), ("status", "done")))] == 2
    assert samples[("allocbot_job_runs", (("job", "posting"), ("status", "failed")))] == 1
    assert samples[("allocbot_job_runs", (("job", "monthly-report"), ("status", "running")))] == 1
    assert samples[("allocbot_job_last_success_timestamp_seconds", (("job", "posting"),))] == (
        first_due + timedelta(minutes=61)).timestamp()
    assert ("allocbot_job_last_success_timestamp_seconds", (("job", "monthly-report"),)) not in samples


def test_metrics_mailbox_lag(store):
    newest = datetime(2026, 12, 5, 8, 0, tzinfo=timezone.utc)
    stuck = datetime(2026, 12, 5, 7, 15, tzinfo=timezone.utc)
    add_mail(store, 1, status="processed", claimed=newest - timedelta(hours=3), finished=newest - timedelta(hours=3))
    add_mail(store, 2, status="failed", claimed=newest - timedelta(minutes=1), finished=newest)
    add_mail(store, 3, status="claimed", claimed=stuck, finished=None)
    add_mail(store, 4, status="claimed", claimed=stuck + timedelta(minutes=30), finished=None)
    with store.session() as session:
        session.add(Lease(name="mailbox", holder="replica-2", expires_at=newest + timedelta(minutes=1)))

    with serving(store) as server:
        samples = scrape(server)

    assert samples[("allocbot_mail_messages", (("status", "processed"),))] == 1
    assert samples[("allocbot_mail_messages", (("status", "failed"),))] == 1
    assert samples[("allocbot_mail_messages", (("status", "claimed"),))] == 2
    assert samples[("allocbot_mail_last_finished_timestamp_seconds", ())] == newest.timestamp()
    assert samples[("allocbot_mail_oldest_claimed_timestamp_seconds", ())] == stuck.timestamp()
    lease = ("allocbot_lease_expiry_timestamp_seconds", (("holder", "replica-2"), ("lease", "mailbox")))
    assert samples[lease] == (newest + timedelta(minutes=1)).timestamp()


def test_metrics_process_figures(store):
    with serving(store) as server:
        samples = scrape(server)

    assert samples[("process_cpu_seconds_total", ())] > 0
    assert samples[("process_resident_memory_bytes", ())] > 0
    assert samples[("allocbot_store_scrape_duration_seconds", ())] >= 0


def test_metrics_store_down(caplog):
    with unreachable_postgres(answer=True) as store, serving(store) as server:
        samples = scrape(server)
        scrape(server)

    assert samples[("allocbot_store_up", ())] == 0
    assert not [key for key in samples if key[0].startswith("allocbot_items")]
    assert samples[("process_cpu_seconds_total", ())] > 0
    errors = [record for record in caplog.records if record.name == "bot.ops.metrics" and record.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "cannot read the store postgresql+psycopg2://allocbot@127.0.0.1:" in errors[0].getMessage()


def test_output_has_no_email(store):
    item_ids = add_items(store, ["asked"])
    add_question(store, item_ids[0], age=timedelta(hours=1))
    add_mail(store, 1, status="processed", claimed=NOW, finished=NOW)

    with serving(store, {"scheduler": lambda: False}) as server:
        _, _, metrics = get(server, "/metrics")
        _, _, healthz = get(server, "/healthz")

    assert b"@" not in metrics
    assert b"@" not in healthz
