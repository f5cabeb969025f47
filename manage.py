#!/usr/bin/env python
import os
import sys

# Commands that only read the models and never sign anything. They run without
# SECRET_KEY, so `manage.py makemigrations --check` works on a fresh checkout;
# every other command still needs SECRET_KEY, AUDIT_SIGNING_KEY_FILE and
# MANIFEST_SIGNING_KEY_FILE (or
# DEBUG=true), as the settings say.
KEYLESS_COMMANDS = {"makemigrations", "showmigrations"}


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    if len(sys.argv) > 1 and sys.argv[1] in KEYLESS_COMMANDS:
        os.environ.setdefault("SECRET_KEY", "unused-by-" + sys.argv[1])
        os.environ.setdefault("AUDIT_SIGNING_KEY_FILE", "unused-by-" + sys.argv[1])
        os.environ.setdefault("MANIFEST_SIGNING_KEY_FILE", "unused-by-" + sys.argv[1])
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
