"""A case granted to the bank, with two artifacts of real bytes, and the people around it.

Shared by the access tests (and importable by others): ``terms`` (version 1,
published), ``granted_case`` (submitted, a model card and weights),
``grant`` (live, to ``bank``), ``other_bank`` and its ``operator2``. Every
object is made through the services, as in production.
"""

import hashlib
import random
from datetime import timedelta

import pytest
from django.utils import timezone

from access import services as access_services
from access.models import AccessGrant, Terms
from access.views.downloads import granted_files
from portal.accounts.models import AccessToken, Organization
from portal.cases.models import CaseStatus
from portal.cases.services.artifacts import add_artifact
from portal.files.uploads import HashingWriter
from tests.cases.conftest import (  # noqa: F401  (fixtures used here and by the tests)
    case_in,
    frozen,
    make_ready_draft,
    media_root,
    move_case,
    nsa_coordinator,
    other_submitter,
    ready_draft,
)
from tests.conftest import Role, make_person

WEIGHTS_SIZE = 300_000  # several of the server's read blocks, not a round number
MODEL_CARD = b"# Aurora 2.0\nModel card for the pre-public review.\n"


def weights_bytes(size: int = WEIGHTS_SIZE, seed: int = 20260901) -> bytes:
    return random.Random(seed).randbytes(size)


def store_artifact(actor, case, body: bytes, *, name: str, kind: str = "weights"):
    writer = HashingWriter()
    writer.write(body)
    artifact = add_artifact(
        actor=actor, case_id=case.pk, kind=kind, streamed=writer.finish(), original_name=name
    )
    assert artifact.sha256 == hashlib.sha256(body).hexdigest()
    return artifact


def bearer(user) -> str:
    _, raw = AccessToken.create_for(user, name="download script")
    return f"Bearer {raw}"


def file_named(access_grant: AccessGrant, name: str):
    """The grant's file (artifact and download name) by its download name."""
    return next(f for f in granted_files(access_grant) if f.name == name)


@pytest.fixture
def terms(db):
    return Terms.objects.create(
        version=1,
        title="Pre-public access terms",
        body="Keep the model inside your security team.\nReport what you find.",
        published_at=timezone.now() - timedelta(days=30),
    )


@pytest.fixture
def granted_case(submitter, make_ready_draft, move_case):  # noqa: F811
    """A submitted case: the model card (uploaded as a draft) and 300 kB of weights."""
    case = make_ready_draft(with_artifact=False)
    store_artifact(submitter, case, MODEL_CARD, name="model card.md", kind="model_card")
    store_artifact(submitter, case, weights_bytes(), name="aurora-2.0.safetensors")
    move_case(case, "submit")
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED
    return case


@pytest.fixture
def grant(submitter, granted_case, bank):
    """Live now, to the bank, for every artifact; ends on the planned release."""
    return access_services.grant_access(actor=submitter, case_id=granted_case.pk, operator=bank)


@pytest.fixture
def other_bank(db):
    return Organization.objects.create(
        name="Second Harbor Savings",
        slug="second-harbor",
        kind=Organization.Kind.OPERATOR,
        sector=Organization.Sector.FINANCIAL_SERVICES,
    )


@pytest.fixture
def operator2(other_bank):
    return make_person("operator2", unit=other_bank, role=Role.SECURITY_TEAM)


@pytest.fixture
def accepted(operator, terms):
    """The bank's operator has accepted the current terms."""
    return access_services.accept_terms(actor=operator, terms_id=terms.pk)


@pytest.fixture
def grant_in(submitter, coordinator, granted_case, bank):
    """``grant_in(status)``: a grant to the bank in that state, made through the services."""

    def make(status: str) -> AccessGrant:
        case_id = granted_case.pk
        if status == AccessGrant.Status.NOMINATED:
            return access_services.nominate_access(
                actor=coordinator, case_id=case_id, operator=bank
            )
        made = access_services.grant_access(actor=submitter, case_id=case_id, operator=bank)
        if status == AccessGrant.Status.REVOKED:
            access_services.revoke_access(
                actor=submitter, grant_id=made.pk, reason="Release moved; access paused."
            )
        elif status == AccessGrant.Status.EXPIRED:
            assert access_services.expire_grant(made.pk, at=made.ends_at)
        made.refresh_from_db()
        assert made.status == status
        return made

    return make
