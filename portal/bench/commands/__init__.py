"""The bench's commands (``python -m portal.bench``), Django management commands in shape."""

from portal.bench.commands.run_bench import Command as RunBench
from portal.bench.commands.run_load_test import Command as RunLoadTest

COMMANDS = {"run": RunBench, "load-test": RunLoadTest}
