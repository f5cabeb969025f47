"""Shared fixtures and helpers for the developer's case pages, uploads and the upload API.

The fixtures are named in ``__all__``: a test module takes them all with
``from tests.cases.fixtures_pages import *`` (a fixture imported by name would
look unused to the linter) and imports the plain helper functions by name.
"""

import hashlib
import io
import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.accounts.models import AccessToken, Membership
from portal.audit.models import AuditEvent
from portal.cases.models import Artifact, Benchmark
from portal.cases.services import artifacts as artifact_services
from portal.cases.services import lifecycle as case_services
from portal.files.uploads import HashingWriter
from tests.conftest import make_person

__all__ = ["benchmark", "draft", "media", "nsa_reviewer", "other_submitter", "submitted_case"]

Role = Membership.Role
BOUNDARY = "PortalTestBoundary7MA4YWxkTrZu0gW"


@pytest.fixture
def media(settings, tmp_path) -> Path:
    """MEDIA_ROOT in a fresh temporary folder, so every stored byte can be counted."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture
def benchmark(db):
    return Benchmark.objects.create(
        name="CyberRange CTF", slug="cyberrange-ctf", unit="% solved", category="cyber_offense"
    )


@pytest.fixture
def other_submitter(other_developer):
    return make_person("other_submitter", unit=other_developer, role=Role.SUBMITTER)


@pytest.fixture
def nsa_reviewer(nsa):
    """A reviewer of an agency the cases are not routed to."""
    return make_person("nsa_reviewer", unit=nsa, role=Role.REVIEWER)


@pytest.fixture
def draft(submitter, media):
    """A draft with every field filled in, ready to submit once it has an artifact."""
    return make_draft(submitter)


@pytest.fixture
def submitted_case(submitter, coordinator, media):
    """A case of Northwind Labs with one artifact, submitted and routed to CAISI."""
    case = make_draft(submitter, model_name="Aurora")
    add_artifact(case, submitter, b"model card text")
    return case_services.submit_case(actor=submitter, case_id=case.pk)


def make_draft(actor, **fields):
    values = {
        "model_name": "Aurora",
        "model_version": "2.0",
        "description": "A frontier model.",
        "planned_release_date": timezone.localdate() + timedelta(days=120),
        "access_mode": "api",
        "contact_person": actor,
    }
    values.update(fields)
    return case_services.create_draft(actor=actor, **values)


def add_artifact(case, actor, data: bytes, *, name="card.md", kind="model_card") -> Artifact:
    writer = HashingWriter()
    writer.write(data)
    return artifact_services.add_artifact(
        actor=actor, case_id=case.pk, kind=kind, streamed=writer.finish(), original_name=name
    )


def bearer(user) -> str:
    _, raw = AccessToken.create_for(user, name="script")
    return f"Bearer {raw}"


def stored_files(media: Path) -> list[Path]:
    """Every file under MEDIA_ROOT, the temporary .incoming folder included."""
    return sorted(path for path in media.rglob("*") if path.is_file())


def audit_count() -> int:
    return AuditEvent.objects.count()


def assert_nothing_stored(media: Path, *, artifacts_before=0, files_before=(), audit_before):
    """A rejected upload leaves no row, no file (not even a temporary one) and no audit event."""
    assert Artifact.objects.count() == artifacts_before
    assert stored_files(media) == sorted(files_before)
    assert audit_count() == audit_before


def write_random_file(path: Path, size: int) -> str:
    """Write ``size`` random bytes to ``path`` in 1 MB pieces; return their SHA-256."""
    digest = hashlib.sha256()
    with open(path, "wb") as handle:
        remaining = size
        while remaining:
            piece = os.urandom(min(remaining, 1024 * 1024))
            digest.update(piece)
            handle.write(piece)
            remaining -= len(piece)
    return digest.hexdigest()


def same_bytes(left: Path, right: Path) -> bool:
    with open(left, "rb") as a, open(right, "rb") as b:
        while True:
            x, y = a.read(1024 * 1024), b.read(1024 * 1024)
            if x != y:
                return False
            if not x:
                return True


class MultipartStream(io.RawIOBase):
    """A multipart/form-data body read lazily: fields, then a file straight from disk.

    The test client would build the whole body in memory; this lets a test show
    that the server side holds only a chunk at a time.
    """

    def __init__(self, fields: dict[str, str], field_name: str, path: Path, file_name: str):
        head = b"".join(
            (
                f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'
            ).encode()
            for key, value in fields.items()
        )
        head += (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{field_name}"; '
            f'filename="{file_name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        tail = f"\r\n--{BOUNDARY}--\r\n".encode()
        self._parts = [io.BytesIO(head), open(path, "rb"), io.BytesIO(tail)]  # noqa: SIM115
        self.length = len(head) + path.stat().st_size + len(tail)

    def readable(self):
        return True

    def read(self, size=-1):
        out = b""
        while self._parts and (size < 0 or len(out) < size):
            piece = self._parts[0].read(-1 if size < 0 else size - len(out))
            if not piece:
                self._parts.pop(0).close()
                continue
            out += piece
        return out

    def readline(self, size=-1):  # pragma: no cover - the multipart parser reads in chunks
        raise NotImplementedError

    def close(self):
        for part in self._parts:
            part.close()
        super().close()


def post_streamed_upload(client, case, path: Path, *, nonce: str, file_name="big.bin", **fields):
    stream = MultipartStream(
        {"nonce": nonce, "kind": fields.pop("kind", "weights"), **fields}, "file", path, file_name
    )
    try:
        return client.generic(
            "POST",
            reverse("portal:artifact_upload", args=[case.pk]),
            b"",
            CONTENT_TYPE=f"multipart/form-data; boundary={BOUNDARY}",
            CONTENT_LENGTH=str(stream.length),
            **{"wsgi.input": stream},
        )
    finally:
        stream.close()


def upload_nonce(client, case) -> str:
    response = client.get(reverse("portal:case_artifacts", args=[case.pk]))
    assert response.status_code == 200
    return response.context["upload_nonce"]


def messages_of(response) -> list[str]:
    """The messages this request added (earlier, unread ones left out)."""
    return [str(message) for message in response.wsgi_request._messages._queued_messages]
