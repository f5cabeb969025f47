"""Tell people something: an in-app notification, and an email sent on commit."""

from django.db import transaction

from portal.models import Notification


def notify(
    recipients, *, title: str, body: str = "", case=None, url: str = ""
) -> list[Notification]:
    """Create one notification per active recipient and queue their emails.

    The emails are queued only when the surrounding transaction commits, so a
    rolled-back change never mails anyone.
    """
    people = {person.pk: person for person in recipients if person.is_active}
    notifications = Notification.objects.bulk_create(
        Notification(recipient=person, title=title[:200], body=body, case=case, url=url)
        for person in people.values()
    )
    ids = [n.pk for n in notifications]
    if ids:
        from portal.tasks import send_notification_emails

        transaction.on_commit(lambda: send_notification_emails.delay(ids))
    return notifications
