"""
Fulfilment under a backlog, on a real worker: lines queued while no worker runs are claimed in
batches (``SELECT … FOR UPDATE SKIP LOCKED`` on MariaDB) and every line is fulfilled once — one
enrollment, one ``fulfilled`` transition, one event — also when the broker was down and the sweeper
re-queues the backlog, and when every task is sent twice. When a worker is killed mid-batch:
test_batching_killed.
"""

import pytest

from demo.processes import free_port
from tests.integration.backlog import (  # noqa: F401  (batching is a fixture: the test's own batching worker)
    assert_fulfilled_once,
    batch_sizes,
    batching,
    drained,
    lines_of,
    place_orders,
    wait_all_done,
)

pytestmark = pytest.mark.integration


@pytest.mark.integration
def test_backlog_queued_while_no_worker_runs_is_fulfilled_once_per_line_in_batches(batching):
    stack = batching.stack
    count = place_orders(stack, "A", orders=50)
    assert [(line["status"], line["attempts"]) for line in lines_of(stack, "A")] == [("queued", 0)] * count

    batching.start()
    wait_all_done(batching, "A")

    assert_fulfilled_once(batching, "A", count)
    assert max(batch_sizes(stack), default=0) > 1, "no task claimed a backlog"
    # Nothing was tried twice: a line's own task left it to the batch that held it.
    assert {line["attempts"] for line in lines_of(stack, "A")} == {1}


@pytest.mark.integration
def test_backlog_accepted_while_the_broker_was_down_is_swept_and_fulfilled_once(batching):
    stack = batching.stack
    dead_broker = f"redis://127.0.0.1:{free_port()}/0"
    server, base_url = stack.sandbox.start_server("server-broker-down-batch", env={"SANDBOX_BROKER_URL": dead_broker})
    try:
        count = place_orders(stack, "C", orders=12, base_url=base_url)
    finally:
        server.stop()
    assert [(line["status"], line["attempts"]) for line in lines_of(stack, "C")] == [("queued", 0)] * count
    batching.start()  # a worker with nothing to do: no task reached the broker

    swept = stack.sandbox.manage("commerce_sweep", "--older-than", "0")

    assert "re-queued" in swept.stdout, swept.stdout + swept.stderr
    wait_all_done(batching, "C")
    assert_fulfilled_once(batching, "C", count)


@pytest.mark.integration
def test_every_task_sent_three_times_still_fulfils_each_line_once(batching):
    stack = batching.stack
    count = place_orders(stack, "D", orders=50)
    pks = [line["id"] for line in lines_of(stack, "D")]
    stack.sandbox.shell(
        "from commerce_plugin.core.tasks import fulfill_line\n"
        f"for pk in {pks!r}:\n"
        "    fulfill_line.delay(pk)\n"
        "    fulfill_line.delay(pk)\n"
    )

    batching.start()
    wait_all_done(batching, "D")

    assert_fulfilled_once(batching, "D", count)
    drained(stack)  # the duplicates found their lines taken or done, exited and were acknowledged
