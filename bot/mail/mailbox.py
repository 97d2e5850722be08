"""One IMAP connection to the controllers' mailbox, with imapclient.

The connection uses TLS from the first byte or STARTTLS, and logs in with a
password or an OAuth2 access token (XOAUTH2), each read from the
environment variable that the settings name. Messages are fetched with
BODY.PEEK[], so reading one does not mark it as seen in the controllers'
mail client, and handled messages are moved, never deleted.
"""

from __future__ import annotations

import logging
import ssl
import time

from imapclient import IMAPClient

from bot.config import MailboxSettings, environment_secret
from bot.errors import ConfigError
from bot.i18n import N_

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 60


class Mailbox:
    """A logged-in connection; use as a context manager, or call ``connect`` and ``close``."""

    def __init__(self, settings: MailboxSettings, *, ssl_context: ssl.SSLContext | None = None,
                 source: object = "config.toml") -> None:
        self.settings = settings
        self.ssl_context = ssl_context or ssl.create_default_context()
        self.source = source
        self.client: IMAPClient | None = None

    @property
    def account(self) -> str:
        return f"{self.settings.username}@{self.settings.host}"

    def __enter__(self) -> Mailbox:
        self.connect()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def connect(self) -> None:
        settings = self.settings
        token = environment_secret(settings.oauth2_token_env)
        password = None if token else environment_secret(settings.password_env)
        if token is None and password is None:
            variable = settings.oauth2_token_env or settings.password_env
            key = "mailbox.oauth2_token_env" if settings.oauth2_token_env else "mailbox.password_env"
            raise ConfigError(self.source, N_("environment variable {variable} is not set"),
                              location=N_("key {key}"), key=key,
                              fix=(N_("export {variable} with an OAuth2 access token for the mailbox")
                                   if settings.oauth2_token_env else N_("export {variable} with the mailbox's password")),
                              variable=variable)

        client = IMAPClient(settings.host, port=settings.port, ssl=settings.security == "tls",
                            ssl_context=self.ssl_context, timeout=TIMEOUT_SECONDS)
        try:
            if settings.security == "starttls":
                client.starttls(self.ssl_context)
            if token:
                client.oauth2_login(settings.username, token)
            else:
                client.login(settings.username, password)
        except Exception:
            _close_quietly(client)
            raise
        self.client = client
        log.info("connected to IMAP %s:%d as %s (%s)", settings.host, settings.port, settings.username,
                 settings.security)

    def close(self) -> None:
        if self.client is not None:
            _close_quietly(self.client)
            self.client = None

    def ensure_folders(self, *names: str) -> None:
        """Create the folders that do not exist yet."""
        for name in names:
            if not self.client.folder_exists(name):
                self.client.create_folder(name)
                log.info("created IMAP folder %s", name)

    def select(self, folder: str) -> int:
        """Select ``folder`` and return its UIDVALIDITY."""
        response = self.client.select_folder(folder)
        return int(response[b"UIDVALIDITY"])

    def uids(self) -> list[int]:
        return sorted(self.client.search(["ALL"]))

    def fetch(self, uid: int) -> bytes | None:
        """Return the raw message, or None when it is gone (moved by someone else meanwhile)."""
        response = self.client.fetch([uid], ["BODY.PEEK[]"])
        data = response.get(uid)
        return data.get(b"BODY[]") if data else None

    def move(self, uid: int, folder: str) -> None:
        """Move a message with MOVE (RFC 6851), or by copy, flag and UID EXPUNGE where the server lacks it."""
        if self.client.has_capability("MOVE"):
            self.client.move([uid], folder)
            return
        self.client.copy([uid], folder)
        self.client.add_flags([uid], [b"\\Deleted"])
        # UID EXPUNGE removes only this message, not others that a mail client flagged for deletion.
        self.client.uid_expunge([uid])

    def wait(self, seconds: float) -> None:
        """Wait up to ``seconds`` for new mail: with IDLE when the server offers it, else by sleeping."""
        if not self.client.has_capability("IDLE"):
            time.sleep(seconds)
            return
        self.client.idle()
        try:
            self.client.idle_check(timeout=seconds)
        finally:
            self.client.idle_done()


def _close_quietly(client: IMAPClient) -> None:
    try:
        client.logout()
    except Exception:  # noqa: BLE001 - the connection may be broken already; closing must not fail
        try:
            client.shutdown()
        except Exception:  # noqa: BLE001
            pass
