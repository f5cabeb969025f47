"""The bench, run as ``python -m portal.bench COMMAND [options]``.

The bench is not an installed app and no domain module imports it, so its
commands are not ``manage.py`` commands: this entry point sets Django up with
the configured settings and runs one of them.

    python -m portal.bench run --scale smoke        # make bench BENCH_SCALE=smoke
    python -m portal.bench load-test                # make load-test
"""

import os
import sys


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from portal.bench.commands import COMMANDS

    if len(argv) < 2 or argv[1] not in COMMANDS:
        sys.stderr.write(f"usage: python -m portal.bench {{{','.join(COMMANDS)}}} [options]\n")
        sys.exit(2)
    COMMANDS[argv[1]]().run_from_argv(["python -m portal.bench", *argv[1:]])


if __name__ == "__main__":
    main(sys.argv)
