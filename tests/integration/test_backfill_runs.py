"""
Two backfills of one store started at the same moment, on MariaDB: the second waits for the first's
lock on the store and is then refused, so one store is never read by two runs at once (each would
count the other's recoveries as already known, and the operator would see two runs "running").
"""

import subprocess
import sys

import pytest

from demo.processes import REPO

pytestmark = pytest.mark.integration

STORE = "it-race"
SINCE = "timezone.now() - timedelta(days=1)"

# A statement locking a store row, still running in another connection: waiting for the lock (a
# transaction that has locked nothing yet is not listed in INNODB_TRX, so its state cannot be read there).
WAITING_FOR_THE_STORE = (
    "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = %s AND ID <> CONNECTION_ID() "
    "AND INFO LIKE 'SELECT %%commerce_plugin_store%%FOR UPDATE%%'"
)

# The first run stops while it holds the store's lock (where it closes stalled runs) and goes on only
# once another connection to this database waits for a lock: the second run, at the same step.
FIRST = f"""
import time
from datetime import timedelta

import MySQLdb
from django.conf import settings
from django.utils import timezone

from commerce_plugin.intake import backfill_runs
from commerce_plugin.models import Store

database = settings.DATABASES["default"]["NAME"]
watch = MySQLdb.connect(host="127.0.0.1", port=3306, user="root", password="", database=database, autocommit=True)
close_stalled = backfill_runs.close_stalled


def holding_the_lock(store=None):
    print("locked", flush=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        cursor = watch.cursor()
        cursor.execute({WAITING_FOR_THE_STORE!r}, (database,))
        if cursor.fetchone()[0]:
            print("the other run waits", flush=True)
            break
        time.sleep(0.05)
    return close_stalled(store)


backfill_runs.close_stalled = holding_the_lock
run = backfill_runs.start(Store.objects.get(slug={STORE!r}), {SINCE})
print("started", run.pk, flush=True)
"""

SECOND = f"""
from datetime import timedelta

from django.utils import timezone

from commerce_plugin.intake import backfill_runs
from commerce_plugin.models import Store

try:
    run = backfill_runs.start(Store.objects.get(slug={STORE!r}), {SINCE})
    print("started", run.pk)
except backfill_runs.AlreadyRunning as exc:
    print("refused:", exc)
"""


def test_of_two_runs_started_together_one_reads_and_the_other_is_refused(stack):
    stack.sandbox.shell(
        "from tests.factories import StoreFactory\n"
        f"StoreFactory(slug={STORE!r}, kind='woocommerce', api_url='https://shop.example.com', "
        "api_key='k' * 20, api_secret='s' * 20)"
    )
    command = [sys.executable, "manage.py", "shell", "--verbosity", "0", "-c"]
    env = stack.sandbox._env(None)  # pylint: disable=protected-access
    first = subprocess.Popen(
        [*command, FIRST], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert first.stdout.readline().strip() == "locked", first.stderr.read()
        second = subprocess.run([*command, SECOND], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
        out, err = first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            first.kill()

    assert first.returncode == 0, err
    assert out.splitlines()[0] == "the other run waits"
    run_id = int(out.splitlines()[1].split()[1])
    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith(f"refused: Store '{STORE}' is already being backfilled (run #{run_id},")
    runs = stack.sql(
        "SELECT r.id, r.status FROM commerce_plugin_backfillrun r JOIN commerce_plugin_store s ON s.id = r.store_id "
        "WHERE s.slug = %s",
        STORE,
    )
    assert runs == [{"id": run_id, "status": "running"}]
