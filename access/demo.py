"""Demo pre-public access: the terms, and grants in every state for the demo banks.

First Harbor Bank (``operator``) has live access to Aurora 2.0 (whose finding
marked *operators* it reads on its grant page) and to Tessellate 2.5 (whose
joint recommendation has a part for operators), and access to Aurora 2.1 that
ended; Granite Trust Bank
(``operator2``) has live access to Aurora 2.0's weights only, and access to
Aurora 2.1 that was revoked. Closed grants stay on each bank's list. The
demo cases carry real small artifact files (``portal.cases.demo``), so the banks can
download and verify them.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from access import services
from access.models import AccessGrant, Terms
from portal.accounts.models import Organization
from portal.cases.models import Artifact, Submission
from portal.core.hooks import seeder
from portal.core.words import counted

TERMS_BODY = """\
1. Use the model only to evaluate the risk it poses to your organization's systems.
2. Keep the artifacts on systems your security team controls; do not share them.
3. Delete the artifacts when your access ends, unless the model is public by then.
4. Tell the reviewing agencies what you find, through an evaluation report.
"""


def _case(model, version):
    return Submission.objects.filter(model_name=model, model_version=version).first()


def _submitter(case):
    User = get_user_model()
    return (
        User.objects.filter(membership__organization=case.developer, membership__role="submitter")
        .order_by("pk")
        .first()
    )


def _seed_terms() -> bool:
    if Terms.objects.exists():
        return False
    Terms.objects.create(
        version=1,
        title="Pre-public model access terms",
        body=TERMS_BODY,
        published_at=timezone.now() - timedelta(days=30),
    )
    return True


def _grant(case, operator, **arguments):
    return services.grant_access(
        actor=_submitter(case), case_id=case.pk, operator=operator, **arguments
    )


def _ended(case, operator):
    """Access that ran last month and was closed by the sweep."""
    access_grant = _grant(case, operator)
    now = timezone.now()
    # Demo history: the window is moved into the past, which the service (rightly)
    # refuses to create, and then closed exactly as the sweep closes it.
    AccessGrant.objects.filter(pk=access_grant.pk).update(
        starts_at=now - timedelta(days=40), ends_at=now - timedelta(days=10)
    )
    services.expire_grant(access_grant.pk, at=now)


def _revoked(
    case, operator, reason="The bank's evaluation environment failed our security review."
):
    access_grant = _grant(case, operator)
    services.revoke_access(actor=_submitter(case), grant_id=access_grant.pk, reason=reason)


def _revoked_after_move(case, operator):
    _revoked(case, operator, reason="The release moved; we will grant access again nearer to it.")


def _weights_only(case, operator):
    weights = case.artifacts.filter(kind=Artifact.Kind.WEIGHTS).values_list("pk", flat=True)
    _grant(case, operator, all_artifacts=False, artifact_ids=list(weights))


PLAN = [
    # bank slug, model, version, how
    ("first-harbor-bank", "Aurora", "2.0", _grant),
    ("first-harbor-bank", "Aurora", "2.1", _ended),
    ("first-harbor-bank", "Tessellate", "2.5", _grant),
    ("granite-trust-bank", "Aurora", "2.0", _weights_only),
    ("granite-trust-bank", "Aurora", "2.1", _revoked_after_move),
]


@seeder(order=30)
def seed_access(stdout) -> None:
    terms = "Terms v1 created; " if _seed_terms() else ""
    made = 0
    for slug, model, version, make in PLAN:
        operator = Organization.objects.filter(slug=slug, kind=Organization.Kind.OPERATOR).first()
        case = _case(model, version)
        if operator is None or case is None or case.status not in services.GRANTABLE:
            continue
        if AccessGrant.objects.filter(case=case, operator=operator).exists():
            continue
        make(case, operator)
        made += 1
    stdout.write(
        f"Demo access: {terms}{counted(made, 'new grant')}, {AccessGrant.objects.count()} in all."
    )
