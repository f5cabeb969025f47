from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from portal.accounts.models import AccessToken
from portal.accounts.models.tokens import SCOPES, TokenRefused
from portal.audit import events as audit


class Command(BaseCommand):
    help = (
        "Create a personal access token for USERNAME and print it as the last line. "
        "It expires and carries scopes, like a token made on the Access tokens page."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help=(
                f"Expire after N days (default {settings.TOKEN_DEFAULT_DAYS}, "
                f"at most {settings.TOKEN_MAX_DAYS})."
            ),
        )
        parser.add_argument(
            "--scope",
            action="append",
            dest="scopes",
            choices=list(SCOPES),
            help="A scope the token carries; repeat for several "
            "(default: every scope the person's role may hold).",
        )
        parser.add_argument("--name", default="issued by command", help="What the token is for.")

    def handle(self, *args, username, days, scopes, name, **options):
        if days is not None and not 1 <= days <= settings.TOKEN_MAX_DAYS:
            raise CommandError(
                f"--days must be between 1 and {settings.TOKEN_MAX_DAYS}, not {days}."
            )
        name = name.strip()
        if not name or len(name) > 100 or any(ord(c) < 32 or ord(c) == 127 for c in name):
            raise CommandError("--name must be 1 to 100 printable characters.")
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No person with the username {username!r}.")
        if not user.is_active:
            raise CommandError(f"{username} is deactivated; a token for them would not work.")
        try:
            with transaction.atomic():
                token, raw = AccessToken.create_for(user, name=name, days=days, scopes=scopes)
                audit.record(
                    "token.created",
                    actor=None,
                    actor_repr="manage.py issue_token",
                    target=token,
                    details={
                        "name": token.name,
                        "prefix": token.prefix,
                        "expires_at": token.expires_at,
                        "scopes": token.scopes,
                    },
                )
        except TokenRefused as refusal:
            raise CommandError(str(refusal)) from None
        self.stdout.write(
            f"Token for {username} (scopes {' '.join(token.scopes)}; "
            f"expires {token.expires_at:%Y-%m-%d %H:%M} UTC). It is shown only once:"
        )
        self.stdout.write(raw)
