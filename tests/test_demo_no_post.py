"""``run_demo`` with ``post=False``: everything but the posting run, and a hint at the commands that post."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout

import pytest
from sqlmodel import func, select

from bot.cli import main
from bot.config import Settings
from bot.demo import run_demo
from bot.store.database import Store
from bot.store.models import AllocationRow, AmazonItem, Posting, VoucherRow


@pytest.fixture(scope="module")
def unposted_demo(tmp_path_factory):
    """Run the demo once without posting, in English, and return its workspace, exit status and output."""
    workspace = tmp_path_factory.mktemp("demo-no-post")
    out = io.StringIO()
    with redirect_stderr(io.StringIO()):
        status = run_demo(Settings(), language="en", workspace=workspace, seed=2026, post=False, out=out)
    return workspace, status, out.getvalue()


def counts(workspace) -> dict[str, int]:
    """Return the number of vouchers, postings, approved allocations and posted items in the demo's store."""
    store = Store(f"sqlite:///{workspace / 'allocbot.db'}")
    try:
        with store.session() as session:
            return {
                "vouchers": session.exec(select(func.count()).select_from(VoucherRow)).one(),
                "postings": session.exec(select(func.count()).select_from(Posting)).one(),
                "approved": session.exec(select(func.count()).select_from(AllocationRow)
                                         .where(AllocationRow.status == "approved")).one(),
                "posted_items": session.exec(select(func.count()).select_from(AmazonItem)
                                             .where(AmazonItem.state == "posted")).one(),
            }
    finally:
        store.close()


def run_cli(argv: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out), redirect_stderr(io.StringIO()):
        status = main(argv)
    return status, out.getvalue()


def test_demo_without_posting_stores_no_voucher(unposted_demo):
    workspace, status, out = unposted_demo

    assert status == 0
    stored = counts(workspace)
    assert stored["vouchers"] == 0
    assert stored["postings"] == 0
    assert stored["posted_items"] == 0
    assert stored["approved"] > 0
    assert not (workspace / "export").exists() or not any((workspace / "export").iterdir())


def test_demo_without_posting_prints_hint(unposted_demo):
    workspace, _, out = unposted_demo
    config = workspace / "config.toml"

    assert (f"Nothing is posted yet. allocbot --config {config} post --dry-run shows the vouchers, and "
            f"allocbot --config {config} post writes them.") in out
    assert "Settings of this workspace" not in out


def test_hinted_commands_post_the_vouchers(unposted_demo):
    workspace, _, _ = unposted_demo
    config = str(workspace / "config.toml")
    approved = counts(workspace)["approved"]

    status, dry = run_cli(["--config", config, "post", "--dry-run"])

    assert status == 0
    assert "Vouchers to post: 1," in dry
    assert counts(workspace)["vouchers"] == 0

    status, posted = run_cli(["--config", config, "post"])

    assert status == 0
    assert "Vouchers posted: 1," in posted
    stored = counts(workspace)
    assert stored["vouchers"] == 1
    assert stored["postings"] == approved
    assert len(list((workspace / "export").glob("vouchers-*.csv"))) == 1
