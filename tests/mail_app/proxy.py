"""A TCP proxy on 127.0.0.1 that tests use to drop connections between a client and a server.

Each accepted connection gets its own connection to the target and two threads that copy
bytes, one for each direction. When either side closes, the proxy closes both. ``cut()``
drops every open connection now. ``cut_after(server_bytes=n)`` lets ``n`` more bytes from
the server through and then drops the connection that carried the last of them, which
works on TLS streams, where the proxy cannot read the commands.
"""

from __future__ import annotations

import logging
import socket
import struct
import threading
from types import TracebackType

logger = logging.getLogger(__name__)

CHUNK_SIZE = 16384

# SO_LINGER with a timeout of 0 makes close() send RST in place of FIN.
LINGER_RESET = struct.pack("ii", 1, 0)


class _ProxiedConnection:
    """One client connection and the proxy's connection to the target for it."""

    def __init__(self, client: socket.socket, upstream: socket.socket) -> None:
        self.client = client
        self.upstream = upstream
        self.threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._closing = False
        self._running_threads = 2

    def close(self, *, reset: bool = False) -> None:
        """Close both sides: by FIN, or by RST when ``reset`` is true.

        Shutting down the reading side wakes the copy threads from recv(). The last copy
        thread to stop closes the sockets, so no socket is closed while a thread uses it.
        """
        with self._lock:
            if self._closing:
                return
            self._closing = True

        for sock in (self.client, self.upstream):
            try:
                if reset:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RESET)
                    sock.shutdown(socket.SHUT_RD)
                else:
                    sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                # The peer has closed the socket already.
                pass

    def finish_thread(self) -> bool:
        """Close the sockets when the calling copy thread is the last one; return whether it was."""
        with self._lock:
            self._running_threads -= 1
            if self._running_threads > 0:
                return False
        self.client.close()
        self.upstream.close()
        return True


class CuttingProxy:
    """A TCP proxy from 127.0.0.1:``port`` to 127.0.0.1:``target_port``.

    When the target refuses a connection, the proxy closes the client's connection right
    after accepting it, so the client sees EOF where it would see a refused connection.

    ``send_proxy_header`` starts each connection to the target with a HAProxy PROXY
    protocol version 1 line. Dovecot needs it to treat a client on loopback as untrusted,
    see dovecot.py. ``listen_port`` 0 lets the system choose the port, and another value binds
    that port, so that a restarted proxy keeps the address that clients know.
    """

    host = "127.0.0.1"

    def __init__(self, target_port: int, *, listen_port: int = 0, send_proxy_header: bool = False) -> None:
        self.target_port = target_port
        self.port = listen_port
        self.send_proxy_header = send_proxy_header
        self.accepted_connections = 0
        self._lock = threading.Lock()
        self._open: list[_ProxiedConnection] = []
        self._cut_after_server_bytes: int | None = None
        self._listener: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None

    # ----- lifecycle

    def start(self) -> CuttingProxy:
        listener = socket.create_server((self.host, self.port), reuse_port=False)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._accept_thread = threading.Thread(target=self._accept, name=f"proxy-{self.port}", daemon=True)
        self._accept_thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, drop the open connections and wait for the proxy's threads to end."""
        if self._listener is None:
            return

        # shutdown() wakes the accept() call, which close() alone does not do on Linux.
        self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        assert self._accept_thread is not None
        self._accept_thread.join()
        self._listener = None
        self.cut()

    def __enter__(self) -> CuttingProxy:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    # ----- faults

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._open)

    def cut(self, *, reset: bool = False) -> int:
        """Drop every open connection and return how many there were.

        Both the client and the target see the connection end: by FIN, or by RST when
        ``reset`` is true. Returns after the copy threads have closed the sockets.
        A connection counts as open once data can pass, so a client that has only
        connected may not be cut yet, while one that has received a response is.
        """
        with self._lock:
            connections = list(self._open)
        for connection in connections:
            connection.close(reset=reset)
        for connection in connections:
            for thread in connection.threads:
                thread.join()
        return len(connections)

    def cut_after(self, *, server_bytes: int) -> None:
        """Forward ``server_bytes`` more bytes from the target, then drop the connection that carried them.

        The count runs across all connections and starts now. The trigger fires once.
        """
        if server_bytes < 1:
            raise ValueError(f"server_bytes must be at least 1, got {server_bytes}")
        with self._lock:
            self._cut_after_server_bytes = server_bytes

    # ----- copying

    def _accept(self) -> None:
        assert self._listener is not None
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection((self.host, self.target_port), timeout=5)
            except OSError as error:
                logger.warning("Proxy on port %d could not connect to port %d: %s", self.port, self.target_port, error)
                client.close()
                continue

            upstream.settimeout(None)
            try:
                if self.send_proxy_header:
                    upstream.sendall(_proxy_header(client, upstream))
            except OSError as error:
                logger.warning("Proxy on port %d could not send the PROXY header: %s", self.port, error)
                client.close()
                upstream.close()
                continue
            self._open_connection(client, upstream)

    def _open_connection(self, client: socket.socket, upstream: socket.socket) -> None:
        connection = _ProxiedConnection(client, upstream)
        connection.threads = [
            threading.Thread(target=self._copy, args=(connection, client, upstream, False), daemon=True),
            threading.Thread(target=self._copy, args=(connection, upstream, client, True), daemon=True),
        ]
        # Starting the threads under the lock keeps cut() from joining a thread that has
        # not started, and a finishing thread from removing a connection not yet listed.
        with self._lock:
            self.accepted_connections += 1
            self._open.append(connection)
            for thread in connection.threads:
                thread.start()

    def _copy(
        self, connection: _ProxiedConnection, source: socket.socket, sink: socket.socket, from_server: bool
    ) -> None:
        while True:
            try:
                data = source.recv(CHUNK_SIZE)
            except OSError:
                data = b""
            if not data:
                break

            cut_now = False
            if from_server:
                data, cut_now = self._take_server_bytes(data)
            try:
                sink.sendall(data)
            except OSError:
                break
            if cut_now:
                logger.info("Proxy on port %d cut a connection after the requested server bytes", self.port)
                break

        connection.close()
        if connection.finish_thread():
            with self._lock:
                self._open.remove(connection)

    def _take_server_bytes(self, data: bytes) -> tuple[bytes, bool]:
        """Count ``data`` against the armed cut_after() trigger; return the bytes to forward and whether to cut."""
        with self._lock:
            remaining = self._cut_after_server_bytes
            if remaining is None:
                return data, False
            if len(data) < remaining:
                self._cut_after_server_bytes = remaining - len(data)
                return data, False
            self._cut_after_server_bytes = None
            return data[:remaining], True


def _proxy_header(client: socket.socket, upstream: socket.socket) -> bytes:
    """Return the PROXY protocol version 1 line for a connection from ``client``."""
    source_host, source_port = client.getpeername()[:2]
    destination_host, destination_port = upstream.getpeername()[:2]
    return f"PROXY TCP4 {source_host} {destination_host} {source_port} {destination_port}\r\n".encode("ascii")
