"""Object visibility in SQL: the permission's id is looked up once, forgotten after migrations."""

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.db.models.signals import post_migrate

from portal.accounts import visibility
from portal.cases.models import (
    Submission,
    SubmissionGroupObjectPermission,
    SubmissionUserObjectPermission,
)

pytestmark = pytest.mark.django_db


def test_the_permission_id_is_cached_and_forgotten_after_migrations(django_assert_num_queries):
    post_migrate.send(sender=apps.get_app_config("cases"), app_config=apps.get_app_config("cases"))
    expected = Permission.objects.get(codename="view_submission").pk
    with django_assert_num_queries(1):
        assert visibility.permission_id_for(Submission, "view_submission") == expected
    with django_assert_num_queries(0):
        assert visibility.permission_id_for(Submission, "view_submission") == expected
    post_migrate.send(sender=apps.get_app_config("cases"), app_config=apps.get_app_config("cases"))
    with django_assert_num_queries(1):
        assert visibility.permission_id_for(Submission, "view_submission") == expected


def test_an_unknown_permission_shows_nothing(submitter):
    assert visibility.permission_id_for(Submission, "no_such_permission") is None
    shown = visibility.with_object_perm(
        Submission.objects.all(),
        submitter,
        "no_such_permission",
        SubmissionUserObjectPermission,
        SubmissionGroupObjectPermission,
    )
    assert list(shown) == []
