"""A real SMTP server on loopback that accepts every mail and keeps it: for the outbox tests."""

import contextlib
import email
import socketserver
import threading
from email.message import Message


class _Conversation(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        self.reply("220 sink ESMTP")
        while line := self.rfile.readline():
            command = line.decode(errors="replace").strip().upper()
            if command.startswith("EHLO"):
                self.reply("250-sink")
                self.reply("250 8BITMIME")
            elif command == "DATA":
                self.reply("354 go ahead")
                body = b""
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    body += data[1:] if data.startswith(b"..") else data
                self.server.accepted.append(email.message_from_bytes(body))
                self.reply("250 accepted")
            elif command == "QUIT":
                # A test may hold the sender here: the mail is accepted, the sender
                # has not yet returned from its send (and so has not marked it sent).
                if self.server.hold_after_accept is not None:
                    self.server.hold_after_accept.wait(30)
                self.reply("221 bye")
                return
            else:  # HELO, MAIL FROM, RCPT TO, RSET, NOOP
                self.reply("250 ok")


class SmtpSink(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Conversation)
        self.accepted: list[Message] = []
        self.hold_after_accept: threading.Event | None = None

    @property
    def port(self) -> int:
        return self.server_address[1]


@contextlib.contextmanager
def smtp_sink():
    sink = SmtpSink()
    thread = threading.Thread(target=sink.serve_forever, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        sink.shutdown()
        sink.server_close()


def smtp_mailers(port: int) -> dict:
    """MAILERS that send through SMTP on loopback ``port``, as production does."""
    return {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "use_tls": False, "timeout": 5},
        }
    }
