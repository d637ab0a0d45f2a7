"""
The plugin beside the Coordinator's architecture (``bench/coordinator``), in the same run, on the same
LMS server and database: capacity and CPU per order, then pay-to-enrolled latency at a steady 20
orders/s and at 80 % of each one's own capacity. Each runs with 2 prefork worker processes.

The plugin: a store-signed ``POST /orders/`` to the LMS, a task per line in the LMS's workers, the
enrollment through the LMS door in-process. The Coordinator: a JWT ``POST`` of its fields to its own
service, stored, relayed to its own worker, which calls the LMS's enrollment API over HTTP; the LMS
server enrolls through the same door. CPU counts every process each one needs: the plugin's LMS
server and workers; the Coordinator's server, its worker and the LMS server answering it.
"""

import json

from bench import latency, payloads
from bench.stack import COURSE
from demo.processes import ORDERS_PATH

WORKERS = 2
STEADY_RATE = 20
CAPACITY_SHARE = 0.8
WARMUP = 20


class Plugin:
    name = "plugin"
    path = ORDERS_PATH

    def __init__(self, stack):
        self.stack, self.worker = stack, None
        self.base_url = stack.base_url

    def start(self):
        self.stack.flush_broker()
        self.worker = self.stack.start_worker(WORKERS)

    def stop(self):
        self.worker.stop()

    def pids(self):
        return {"lms_server": self.stack.server.popen.pid, "worker": self.worker.popen.pid}

    def worker_log(self):
        return self.worker.log_path if self.worker else None

    def flush(self):
        """Drop what is still queued (tasks and queued lines) without stopping the worker."""
        self.stack.flush_broker()

    def idle(self):
        """No task message queued, none delivered and not yet acknowledged."""
        return not _messages(self.stack.redis)

    def messages(self):
        return _messages(self.stack.redis)

    def request(self, number, learner):
        return payloads.signed(self.stack.secret, payloads.order(number, learner.username))


class Coordinator:
    name = "coordinator"

    def __init__(self, stack):
        from django.conf import settings  # pylint: disable=import-outside-toplevel

        from bench.tokens import service_token  # pylint: disable=import-outside-toplevel

        self.service = stack.coordinator or stack.start_coordinator()
        self.stack, self.base_url, self.path = stack, self.service.base_url, self.service.PATH
        self.headers = {
            "Content-Type": "application/json",
            "Authorization": f"JWT {service_token('store_worker', settings.JWT_AUTH)}",
        }

    def start(self):
        self.service.flush_broker()
        self.service.start_worker(WORKERS)

    def stop(self):
        self.service.stop_worker()

    def pids(self):
        return {
            "coordinator_server": self.service.server.popen.pid,
            "worker": self.service.worker.popen.pid,
            "lms_server": self.stack.server.popen.pid,
        }

    def worker_log(self):
        return self.service.worker.log_path if self.service.worker else None

    def flush(self):
        self.service.flush_broker()

    def idle(self):
        return not _messages(self.service.redis)

    def messages(self):
        return _messages(self.service.redis)

    def request(self, number, learner):
        body = {
            "course_id": COURSE,
            "course_mode": "verified",
            "date_placed": payloads.DATE_PLACED,
            "edx_lms_user_id": learner.pk,
            "edx_lms_username": learner.username,
            "email_opt_in": False,
            "order_number": number,
            "provider": "bench-shop",
        }
        return json.dumps(body).encode(), self.headers


def _messages(redis):
    """Task messages in the broker: queued, and delivered but not yet acknowledged."""
    return redis.llen("celery") + redis.hlen("unacked")


def measure(stack, orders, seconds):
    """Both architectures: capacity, CPU per order, and latency at 20/s and at 80 % of capacity."""
    results = {}
    for architecture in (Plugin(stack), Coordinator(stack)):
        architecture.start()
        try:
            latency.capacity(stack, architecture, WARMUP)  # connections, imports, caches: not measured
            row = {"capacity": latency.capacity(stack, architecture, orders)}
            rate = row["capacity"]["orders_per_second"]
            print(f"  {architecture.name}: capacity {rate}/s", flush=True)
            row["latency"] = []
            for target in (STEADY_RATE, CAPACITY_SHARE * rate):
                measured = latency.pay_to_enrolled(stack, architecture, target, seconds)
                measured["label"] = "steady 20/s" if target == STEADY_RATE else f"{CAPACITY_SHARE:.0%} of capacity"
                row["latency"].append(measured)
                print(
                    f"  {architecture.name} at {measured['rate']}/s: p50 {measured['p50_ms']} ms, "
                    f"p95 {measured['p95_ms']} ms, p99 {measured['p99_ms']} ms ({measured['missing']} missing)",
                    flush=True,
                )
        finally:
            architecture.stop()
        results[architecture.name] = row
    plugin, coordinator = results["plugin"], results["coordinator"]
    results["throughput_ratio"] = round(
        plugin["capacity"]["orders_per_second"] / coordinator["capacity"]["orders_per_second"], 2
    )
    # To the moment each one's broker is empty: the plugin's batches enroll ahead of their messages.
    results["throughput_ratio_drained"] = round(
        plugin["capacity"]["orders_per_second_to_drained"] / coordinator["capacity"]["orders_per_second_to_drained"], 2
    )
    p50s = [row["latency"][0]["p50_ms"] for row in (plugin, coordinator)]
    results["p50_ratio"] = round(p50s[0] / p50s[1], 2) if all(p50s) else None
    return results
