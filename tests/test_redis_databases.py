"""
Nothing in the repository empties a Redis database except through ``demo/redis_databases.py``, which
refuses one that is not the project's; and the demo's last lines say where its tasks ran (issue 18).
The same rules on a real Redis: ``tests/integration/test_redis_databases.py``.
"""

import re
from pathlib import Path

from demo import redis_databases, run_demo

ROOT = Path(__file__).resolve().parent.parent
EMPTYING = re.compile(r"flushdb|flushall|scan_iter\(", re.IGNORECASE)


def test_only_the_ownership_checking_module_empties_a_redis_database():
    emptying = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for folder in ("commerce_plugin", "demo", "bench", "sandbox", "tests", "examples")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path not in {ROOT / "demo" / "redis_databases.py", Path(__file__)}
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if EMPTYING.search(line)
    ]
    assert emptying == []


def test_database_numbers_read_as_operators_write_them():
    assert redis_databases.parse("5-15") == list(range(5, 16))
    assert redis_databases.parse("4, 6-8") == [4, 6, 7, 8]
    assert redis_databases.parse("7") == [7]


def test_the_demo_with_a_worker_does_not_end_by_saying_there_was_no_broker(tmp_path):
    last = run_demo.reuse_instructions(tmp_path, "s3cret", "redis://127.0.0.1:6379/4").splitlines()[-2:]

    assert "This run's tasks went through Redis (redis://127.0.0.1:6379/4) to a celery worker" in last[0]
    assert not any(line.startswith("Tasks run inside the server") for line in last)


def test_the_demo_without_a_worker_says_its_tasks_ran_inside_the_server(tmp_path):
    last = run_demo.reuse_instructions(tmp_path, "s3cret").splitlines()[-2:]

    assert last[0].startswith("This run's tasks ran inside the server (no broker, no worker)")
