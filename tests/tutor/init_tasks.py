"""
Print as JSON the init tasks ``tutor local do init`` would run for a project root, in order, each
rendered by Tutor's own task runner, and which of them ``tutor local do init --limit <plugin>`` keeps.

Usage: ``python init_tasks.py <root> <plugin>``, with the Python that has tutor (the tests run it
in a subprocess, so tutor's process-wide hooks never touch the test process).
"""

import json
import sys

from tutor import config as tutor_config
from tutor import hooks
from tutor.commands import cli  # noqa: F401  importing the CLI registers Tutor's own init tasks
from tutor.tasks import BaseTaskRunner


class RecordingRunner(BaseTaskRunner):
    """Tutor's task runner minus Docker: keeps the rendered script instead of running it."""

    def __init__(self, root, config):
        super().__init__(root, config)
        self.scripts = []

    def run_task(self, service, command):
        self.scripts.append(command)
        return 0


def main(root, plugin):
    hooks.Actions.CORE_READY.do()
    hooks.Actions.PROJECT_ROOT_READY.do(root)  # enables the plugins listed in config.yml
    runner = RecordingRunner(root, tutor_config.load(root))
    ours = list(hooks.Filters.CLI_DO_INIT_TASKS.iterate_from_context(hooks.Contexts.app(plugin).name))
    tasks = []
    for service, script in hooks.Filters.CLI_DO_INIT_TASKS.iterate():
        runner.run_task_from_str(service, script)
        tasks.append({"service": service, "script": runner.scripts[-1], "ours": (service, script) in ours})
    json.dump(tasks, sys.stdout)


if __name__ == "__main__":
    main(*sys.argv[1:3])
