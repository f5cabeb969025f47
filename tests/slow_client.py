"""A download client that reads slowly through a small receive buffer, on a raw socket.

For the tests that revoke, expire or withdraw access while a transfer runs:
it says how many body bytes arrived and when the last one did, and can hang
up halfway like an interrupted ``curl``.
"""

import socket
import time
from urllib.parse import urlsplit

RECEIVE_BUFFER = 32 * 1024


class SlowDownload:
    def __init__(self, url: str, headers: dict[str, str] | None = None):
        parts = urlsplit(url)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
        self.sock.settimeout(5)
        self.sock.connect((parts.hostname, parts.port))
        lines = [f"GET {parts.path} HTTP/1.1", f"Host: {parts.netloc}", "Connection: close"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            head += chunk
        head, _, body = head.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        self.status = int(status_line.split()[1])
        self.headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in header_lines)
        }
        self.length = int(self.headers.get("content-length", 0))
        self.received = len(body)
        self.ended = False
        self.last_byte_at = time.monotonic()

    def read_for(self, seconds: float, *, chunk: int = 16 * 1024, pause: float = 0.02) -> None:
        """Read slowly for ``seconds`` (or until the response ends)."""
        until = time.monotonic() + seconds
        while not self.ended and time.monotonic() < until:
            self._read(chunk)
            time.sleep(pause)

    def read_to_end(
        self, *, within: float, quiet: float = 3.0, chunk: int = 64 * 1024, pause: float = 0.01
    ) -> None:
        """Keep reading at a few MB/s until the server ends the response (or sends
        nothing for ``quiet`` seconds), for at most ``within`` seconds."""
        self.sock.settimeout(quiet)
        until = time.monotonic() + within
        while not self.ended and time.monotonic() < until:
            try:
                self._read(chunk)
            except TimeoutError:
                return
            if pause:
                time.sleep(pause)

    def hang_up(self) -> None:
        self.sock.close()
        self.ended = True

    def _read(self, size: int) -> None:
        data = self.sock.recv(size)
        if not data:
            self.ended = True
            self.sock.close()
            return
        self.received += len(data)
        self.last_byte_at = time.monotonic()
