"""seed_demo shows a joint recommendation: Tessellate 2.5, led by CAISI, NSA concurring
with conditions, shared with the developer."""

import pytest
from django.core.management import call_command

from portal.cases.models import Submission
from reviews.models import AgencyPosition
from reviews.selectors import agency_states, operator_recommendation


@pytest.fixture
def seeded(db, settings, monkeypatch):
    settings.DEBUG = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    call_command("seed_demo", stdout=None)


def test_the_demo_has_a_joint_recommendation(seeded):
    case = Submission.objects.get(model_name="Tessellate", model_version="2.5")

    assert case.lead_agency.acronym == "CAISI"
    assert [(s.agency.acronym, s.is_lead, s.state) for s in agency_states(case)] == [
        ("CAISI", True, "issued"),
        ("NSA", False, "position"),
    ]
    position = AgencyPosition.objects.get(case=case)
    assert (position.stance, position.marking) == ("conditions", "developer")
    assert operator_recommendation(case) is not None
