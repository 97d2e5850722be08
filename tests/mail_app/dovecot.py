"""A private Dovecot IMAP server on 127.0.0.1 for tests, with one user and a maildir.

Each instance has its own configuration file, log, state and mail in ``folder`` and never
touches the system's Dovecot (/etc/dovecot, /run/dovecot). It listens on two probed free
ports: ``tls_port`` for implicit TLS (imaps) and ``starttls_port`` for plain IMAP, where
login needs STARTTLS first. The user logs in with PLAIN or LOGIN and the password, or
with XOAUTH2 or OAUTHBEARER and a token from oauth2_token().

Checked with Dovecot 2.3.19 as Debian 12 ships it in dovecot-imapd:

- Dovecot counts a connection whose remote address equals its local address as secured,
  and then allows plaintext login without TLS, so ``ssl = required`` alone has no effect
  on loopback. ``starttls_port`` therefore belongs to a CuttingProxy that starts each
  connection with a PROXY protocol header. Dovecot trusts a proxied connection only when
  the header says it was TLS, so it rejects LOGIN before STARTTLS there.
- Dovecot must start as root, and its mail processes must not run as root. They run as
  the system user ``dovecot``, chrooted into ``folder/mail``, because pytest's temporary
  folders are readable by root only. The auth process runs as root to read the password
  file there.
- A graceful stop of Dovecot's master process takes over 1 s because it waits a fixed
  second for its child processes, so stop() ends the processes itself, see there.
- Dovecot's auth penalty delays a failed login from an address that failed before by
  2 s, then 4, 8 and 15 s. A test with several failed logins needs client timeouts above
  that. Each instance starts without penalties.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from imapclient import IMAPClient

from .certificate import LoopbackCertificate
from .proxy import CuttingProxy

logger = logging.getLogger(__name__)

DEFAULT_USER = "regnskap@example.no"
DEFAULT_PASSWORD = "imap-test-password"

# Users that the Debian package dovecot-core creates.
MAIL_USER = "dovecot"
LOGIN_USER = "dovenull"

START_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0
CLIENT_TIMEOUT = 10.0

# doveadm kick exits with EX_NOUSER (sysexits.h) when no connection of the user was open.
EX_NOUSER = 68

CONFIG_TEMPLATE = """\
# A private Dovecot for one test, written by tests/mail_app/dovecot.py.
instance_name = allocbot-test
base_dir = {base_dir}
state_dir = {state_dir}
log_path = {log_path}
auth_verbose = yes

protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{certfile}
ssl_key = <{keyfile}
disable_plaintext_auth = yes
auth_mechanisms = plain login xoauth2 oauthbearer
# Dovecot delays each failed login by 2 s by default. With 0 a failure still takes up to
# 0.5 s, the interval of the auth process's failure timer.
auth_failure_delay = 0
haproxy_trusted_networks = 127.0.0.1

default_internal_user = {mail_user}
default_login_user = {login_user}
mail_uid = {mail_user}
mail_gid = {mail_group}
first_valid_uid = {mail_uid}
last_valid_uid = {mail_uid}
first_valid_gid = {mail_gid}
last_valid_gid = {mail_gid}
valid_chroot_dirs = {mail_root}
mail_chroot = {mail_root}
mail_location = maildir:~/Maildir

# Dovecot watches a maildir with inotify during IDLE. This is the fallback polling interval.
mailbox_idle_check_interval = 1 secs

passdb {{
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%u {passwd_path}
}}
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {oauth2_config_path}
}}
# The passwd-file also serves as userdb, so that doveadm finds the user. Its entry leaves
# uid, gid and home empty, so Dovecot uses mail_uid, mail_gid and this home.
userdb {{
  driver = passwd-file
  args = username_format=%u {passwd_path}
  default_fields = home=/
}}

service auth {{
  user = root
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {proxied_port}
    haproxy = yes
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
"""


# Dovecot's oauth2 passdb validates a JWT itself with "local" introspection, so no token
# service is needed. It looks up the HS256 key of a token without "azp" and "kid" claims
# in the file <prefix>/default/HS256/default, base64-encoded. The claim "email" must equal
# the user name that the client sends.
OAUTH2_CONFIG_TEMPLATE = """\
introspection_mode = local
local_validation_key_dict = fs:posix:prefix={keys_dir}/
username_attribute = email
"""


class DovecotError(RuntimeError):
    """Dovecot failed to start, or doveadm failed. The message includes Dovecot's log."""


def unavailable_reason() -> str | None:
    """Return why this machine cannot run the test Dovecot, or None when it can."""
    for program in ("dovecot", "doveadm"):
        if _find_program(program) is None:
            return f"{program} is not installed; install the Debian package dovecot-imapd"
    if os.geteuid() != 0:
        return "the test Dovecot must start as root, because it switches its processes to the users dovecot and dovenull"
    for user in (MAIL_USER, LOGIN_USER):
        try:
            pwd.getpwnam(user)
        except KeyError:
            return f"the system user {user} is missing; the Debian package dovecot-core creates it"
    return None


class Dovecot:
    """A Dovecot IMAP server for one test user, with helpers that act as that user over IMAP."""

    host = "127.0.0.1"

    def __init__(
        self,
        folder: Path,
        certificate: LoopbackCertificate,
        *,
        user: str = DEFAULT_USER,
        password: str = DEFAULT_PASSWORD,
    ) -> None:
        self.folder = folder
        self.certificate = certificate
        self.user = user
        self.password = password
        self.config_path = folder / "dovecot.conf"
        self.log_path = folder / "dovecot.log"
        self.tls_port = 0
        self.starttls_port = 0
        self._proxied_port = 0
        self._oauth2_key = secrets.token_bytes(32)
        self._process: subprocess.Popen[bytes] | None = None
        self._base_dir: Path | None = None
        self._starttls_proxy: CuttingProxy | None = None

    @property
    def cafile(self) -> Path:
        """PEM file of the CA that signed the server certificate."""
        return self.certificate.cafile

    # ----- lifecycle

    def start(self) -> Dovecot:
        """Start Dovecot and return once both ports accept connections.

        The first start probes free ports and retries when another process takes one
        before Dovecot binds it. Later starts reuse the ports, so clients can reconnect.
        """
        if self._process is not None:
            raise DovecotError("Dovecot is running already")
        self._prepare_folder()

        first_start = self.tls_port == 0
        attempts = 3 if first_start else 1
        for attempt in range(1, attempts + 1):
            if first_start:
                self.tls_port = _free_port()
                self._proxied_port = _free_port()
            try:
                self._start_master()
                break
            except DovecotError as error:
                if attempt == attempts or "Address already in use" not in str(error):
                    raise
                logger.warning("Dovecot could not bind a probed port; retrying with new ports: %s", error)

        self._starttls_proxy = CuttingProxy(
            self._proxied_port, listen_port=self.starttls_port, send_proxy_header=True
        ).start()
        self.starttls_port = self._starttls_proxy.port
        logger.info("Dovecot listening on %s: TLS port %d, STARTTLS port %d", self.host, self.tls_port, self.starttls_port)
        return self

    def stop(self) -> None:
        """Stop every Dovecot process and wait until they are gone. Open client connections drop."""
        if self._starttls_proxy is not None:
            self._starttls_proxy.stop()
            self._starttls_proxy = None
        if self._process is None:
            return

        # SIGTERM to the master alone takes over 1 s and leaves the processes of open
        # connections running. SIGTERM to the whole group races the master, which
        # restarts a child that exits before it does. So SIGKILL the master first, then
        # SIGTERM its children, which close their client connections and exit.
        process_group = self._process.pid
        self._process.kill()
        self._process.wait(STOP_TIMEOUT)
        try:
            os.killpg(process_group, signal.SIGTERM)
        except ProcessLookupError:
            # All children had exited, for example after a configuration error.
            pass
        self._process = None
        self._wait_for_process_group_exit(process_group)

        assert self._base_dir is not None
        shutil.rmtree(self._base_dir)
        self._base_dir = None
        logger.info("Dovecot on TLS port %d stopped", self.tls_port)

    def restart(self) -> None:
        """Stop and start the server processes. Mail, ports and UIDVALIDITY stay."""
        self.stop()
        self.start()

    def __enter__(self) -> Dovecot:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    def log(self) -> str:
        """Return Dovecot's log, with anything that it wrote to stderr before its log opened."""
        if not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")

    # ----- IMAP as the test user

    def connect(self, *, starttls: bool = False) -> IMAPClient:
        """Return an IMAPClient logged in as the test user, over implicit TLS or STARTTLS.

        The caller logs out, for example with ``with dovecot.connect() as client:``.
        """
        context = self.certificate.client_context()
        if starttls:
            client = IMAPClient(self.host, self.starttls_port, ssl=False, timeout=CLIENT_TIMEOUT)
            client.starttls(context)
        else:
            client = IMAPClient(self.host, self.tls_port, ssl=True, ssl_context=context, timeout=CLIENT_TIMEOUT)
        client.login(self.user, self.password)
        return client

    def oauth2_token(self, *, user: str | None = None, expires_in: int = 3600) -> str:
        """Return an access token that Dovecot accepts for XOAUTH2 and OAUTHBEARER.

        It is a JWT signed with HS256 by this server's key, for ``user`` (the test user
        by default), that expires ``expires_in`` seconds from now. A negative value
        gives an expired token.
        """
        # Dovecot rejects a token "issued in future" when "iat" is later than its cached
        # clock, which can lag behind by a second, so the token is dated a minute back.
        now = int(time.time())
        claims = {"sub": user or self.user, "email": user or self.user, "iat": now - 60, "exp": now + expires_in}
        return _jwt_hs256(claims, self._oauth2_key)

    def append(self, raw: bytes, folder: str = "INBOX") -> int:
        """Append a message and return its UID."""
        with self.connect() as client:
            response = client.append(folder, raw)
        match = re.search(rb"\[APPENDUID \d+ (\d+)\]", response)
        if match is None:
            raise DovecotError(f"APPEND to {folder} returned no APPENDUID: {response!r}")
        return int(match.group(1))

    def uids(self, folder: str = "INBOX") -> list[int]:
        with self.connect() as client:
            client.select_folder(folder, readonly=True)
            return sorted(client.search("ALL"))

    def fetch(self, folder: str, uid: int) -> bytes:
        """Return the raw message with ``uid`` without setting its \\Seen flag."""
        with self.connect() as client:
            client.select_folder(folder, readonly=True)
            response = client.fetch([uid], ["BODY.PEEK[]"])
        if uid not in response:
            raise LookupError(f"no message with UID {uid} in {folder}")
        return response[uid][b"BODY[]"]

    def folders(self) -> list[str]:
        with self.connect() as client:
            return [name for _flags, _delimiter, name in client.list_folders()]

    def uidvalidity(self, folder: str = "INBOX") -> int:
        with self.connect() as client:
            return client.folder_status(folder, ["UIDVALIDITY"])[b"UIDVALIDITY"]

    def create_folder(self, folder: str) -> None:
        with self.connect() as client:
            client.create_folder(folder)

    def recreate_folder(self, folder: str) -> int:
        """Delete ``folder`` with its messages, create it again and return its new UIDVALIDITY.

        IMAP forbids deleting INBOX, so for INBOX this expunges every message and then
        changes the UIDVALIDITY. Unlike in a new folder, UIDs then go on from the old UIDNEXT.
        """
        if folder.upper() == "INBOX":
            with self.connect() as client:
                client.select_folder(folder)
                uids = client.search("ALL")
                if uids:
                    client.delete_messages(uids)
                    client.expunge()
            return self.change_uidvalidity(folder)

        with self.connect() as client:
            client.delete_folder(folder)
            client.create_folder(folder)
            return client.folder_status(folder, ["UIDVALIDITY"])[b"UIDVALIDITY"]

    def change_uidvalidity(self, folder: str = "INBOX") -> int:
        """Give ``folder`` a new UIDVALIDITY, keeping its messages, and return the new value.

        This is what a client sees when a server rebuilds its index: every UID it stored
        for the folder is void.
        """
        new_uidvalidity = self.uidvalidity(folder) + 1
        self._doveadm("mailbox", "update", "-u", self.user, "--uid-validity", str(new_uidvalidity), folder)
        return new_uidvalidity

    def kick(self) -> bool:
        """Drop every logged-in connection of the test user; return whether there was one.

        Connections that have not logged in yet stay open.
        """
        result = self._doveadm("kick", self.user, allowed_exit_codes=(0, EX_NOUSER))
        return result.returncode == 0

    # ----- helpers

    def _prepare_folder(self) -> None:
        """Create the folders and the password file; the mail folder belongs to the mail user."""
        account = pwd.getpwnam(MAIL_USER)
        mail_root = self.folder / "mail"
        state_dir = self.folder / "state"
        mail_root.mkdir(parents=True, exist_ok=True)
        os.chown(mail_root, account.pw_uid, account.pw_gid)
        mail_root.chmod(0o700)
        state_dir.mkdir(exist_ok=True)

        # passwd-file format: user:password:uid:gid:gecos:home:shell:extra fields
        passwd_path = self.folder / "passwd"
        passwd_path.write_text(f"{self.user}:{{PLAIN}}{self.password}::::::\n")
        passwd_path.chmod(0o600)

        keys_dir = self.folder / "oauth2-keys"
        key_path = keys_dir / "default" / "HS256" / "default"
        key_path.parent.mkdir(parents=True, exist_ok=True)
        key_path.write_text(base64.b64encode(self._oauth2_key).decode("ascii"))
        (self.folder / "oauth2.conf").write_text(OAUTH2_CONFIG_TEMPLATE.format(keys_dir=keys_dir))

    def _write_config(self, base_dir: Path) -> None:
        account = pwd.getpwnam(MAIL_USER)
        self.config_path.write_text(
            CONFIG_TEMPLATE.format(
                base_dir=base_dir,
                state_dir=self.folder / "state",
                log_path=self.log_path,
                certfile=self.certificate.certfile,
                keyfile=self.certificate.keyfile,
                mail_user=MAIL_USER,
                mail_group=MAIL_USER,
                mail_uid=account.pw_uid,
                mail_gid=account.pw_gid,
                login_user=LOGIN_USER,
                mail_root=self.folder / "mail",
                passwd_path=self.folder / "passwd",
                oauth2_config_path=self.folder / "oauth2.conf",
                proxied_port=self._proxied_port,
                tls_port=self.tls_port,
            )
        )

    def _start_master(self) -> None:
        """Start Dovecot's master process in the foreground and wait until it has bound both ports."""
        # Dovecot's unix sockets live in base_dir, and a socket path must fit in 108 bytes,
        # which a path under pytest's temporary folder may exceed. The processes that run as
        # the users dovecot and dovenull reach base_dir, so it is world-readable.
        self._base_dir = Path(tempfile.mkdtemp(prefix="allocbot-dovecot-"))
        self._base_dir.chmod(0o755)
        self._write_config(self._base_dir)

        log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as stderr:
            # A new session makes Dovecot's master the leader of a process group that
            # contains all its child processes, so stop() can signal them together.
            self._process = subprocess.Popen(
                [_require_program("dovecot"), "-F", "-c", str(self.config_path)],
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=stderr,
                start_new_session=True,
            )

        # Dovecot's master writes master.pid only after it has bound every listener, and
        # exits when a bind fails (src/master/main.c in Dovecot 2.3.19).
        pid_file = self._base_dir / "master.pid"
        deadline = time.monotonic() + START_TIMEOUT
        while not _contains_pid(pid_file, self._process.pid):
            if self._process.poll() is not None or time.monotonic() > deadline:
                failure = "exited" if self._process.poll() is not None else f"did not start within {START_TIMEOUT} s"
                self.stop()
                new_log = self.log_path.read_bytes()[log_offset:].decode(errors="replace")
                raise DovecotError(f"Dovecot {failure}; its log:\n{new_log}")
            time.sleep(0.01)

    def _wait_for_process_group_exit(self, process_group: int) -> None:
        deadline = time.monotonic() + STOP_TIMEOUT
        while (remaining := _live_processes_in_group(process_group)) and time.monotonic() < deadline:
            time.sleep(0.01)
        if not remaining:
            return

        logger.warning("Dovecot processes %s outlived SIGTERM by %s s; sending SIGKILL", remaining, STOP_TIMEOUT)
        os.killpg(process_group, signal.SIGKILL)
        deadline = time.monotonic() + STOP_TIMEOUT
        while _live_processes_in_group(process_group) and time.monotonic() < deadline:
            time.sleep(0.01)

    def _doveadm(self, *arguments: str, allowed_exit_codes: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
        command = [_require_program("doveadm"), "-c", str(self.config_path), *arguments]
        result = subprocess.run(command, capture_output=True, text=True, timeout=CLIENT_TIMEOUT, check=False)
        if result.returncode not in allowed_exit_codes:
            raise DovecotError(
                f"{' '.join(command)} failed with exit code {result.returncode}: {result.stderr.strip()}\n"
                f"Dovecot's log:\n{self.log()}"
            )
        return result


def _find_program(name: str) -> str | None:
    """Find ``name`` on PATH or else in /usr/sbin, where Debian installs dovecot and which some PATHs lack."""
    return shutil.which(name, path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin"]))


def _require_program(name: str) -> str:
    path = _find_program(name)
    if path is None:
        raise DovecotError(f"{name} is not installed; install the Debian package dovecot-imapd")
    return path


def _jwt_hs256(claims: dict[str, object], key: bytes) -> str:
    def encode(part: bytes) -> bytes:
        return base64.urlsafe_b64encode(part).rstrip(b"=")

    header = encode(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = encode(json.dumps(claims).encode())
    signature = encode(hmac.new(key, header + b"." + body, hashlib.sha256).digest())
    return (header + b"." + body + b"." + signature).decode("ascii")


def _free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _contains_pid(pid_file: Path, pid: int) -> bool:
    try:
        return pid_file.read_text().strip() == str(pid)
    except FileNotFoundError:
        return False


def _live_processes_in_group(process_group: int) -> list[int]:
    """Return the processes of ``process_group`` that have not exited, zombies excluded.

    A zombie stays in the group until its parent reaps it. Dovecot's child processes,
    whose parent has exited, wait for the machine's init process to reap them.
    """
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the command name, which may contain spaces, start with the state
        # and then ppid, pgrp (proc(5)).
        state, _ppid, group = stat.rsplit(")", 1)[1].split()[:3]
        if int(group) == process_group and state != "Z":
            members.append(int(entry.name))
    return members
