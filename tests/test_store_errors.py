"""Database URLs that cannot be used give one clear error, without the password."""

import socket

import pytest

from bot.store.database import InvalidStoreUrl, Store, StoreUnavailable


def closed_loopback_port() -> int:
    """Return a loopback port that nothing listens on: bound, then released."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_text_that_is_no_url_rejected():
    with pytest.raises(InvalidStoreUrl) as caught:
        Store("not a url")

    assert "is not a database URL" in str(caught.value)
    assert "sqlite:///" in str(caught.value)


def test_mistyped_url_hides_password():
    with pytest.raises(InvalidStoreUrl) as caught:
        Store("postgresql+psycopg2//allocbot:hemmelig@127.0.0.1/allocbot")

    assert "hemmelig" not in str(caught.value)


def test_unsupported_database_rejected():
    with pytest.raises(InvalidStoreUrl) as caught:
        Store("mysql://allocbot:hemmelig@127.0.0.1/allocbot")

    assert "unsupported database" in str(caught.value)
    assert "hemmelig" not in str(caught.value)


def test_unreachable_server_reported_without_password():
    store = Store(f"postgresql+psycopg2://allocbot:hemmelig@127.0.0.1:{closed_loopback_port()}/allocbot")

    with pytest.raises(StoreUnavailable) as caught:
        store.migrate()

    message = str(caught.value)
    assert "cannot open the database" in message
    assert "hemmelig" not in message
    assert "store.url" in message
