from django.db import migrations
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

ACTIVE = ["invited", "accepted"]


def count_reviewers(apps, schema_editor):
    """Every routing counts its agency's invited and accepted reviewers on the case."""
    CaseRouting = apps.get_model("portal", "CaseRouting")
    Assignment = apps.get_model("reviews", "Assignment")
    active = (
        Assignment.objects.filter(
            case_id=OuterRef("case_id"), agency_id=OuterRef("agency_id"), status__in=ACTIVE
        )
        .order_by()
        .values("case_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    CaseRouting.objects.update(reviewers=Coalesce(Subquery(active), Value(0)))


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0009_routing_queue"),
        ("reviews", "0002_list_indexes"),
    ]

    operations = [migrations.RunPython(count_reviewers, migrations.RunPython.noop)]
