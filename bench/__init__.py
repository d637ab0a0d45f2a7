"""
``make bench``: the plugin's figures on the parts a Tutor LMS has (MariaDB, Redis, gunicorn, Celery
prefork workers), each stated as a ratio to a baseline measured in the same run, so they mean the
same thing on any machine. Not a test: nothing here asserts; it measures, prints and writes JSON.

``run`` drives the phases; ``stack`` owns what it starts and seeds (database, broker db, processes,
and the Coordinator's service, which ``coordinator_service`` runs) on the MariaDB and Redis that
``services`` finds and claims; ``load`` is the HTTP load generator (closed and open loop); ``acceptance``,
``endtoend``, ``floor``, ``queries``, ``latency`` (capacity and pay-to-enrolled), ``compare`` (the
plugin beside the Coordinator), ``sustained`` (one open-loop step and the rate search; its rounds in
``sustained_run``, what the machine did meanwhile in ``machine``), ``memory`` and ``backlog`` measure
one thing each; ``coordinator`` is the Coordinator's architecture as a Django project of its own;
``report`` judges the targets and writes the JSON, ``table`` and ``table_sustained`` print it.
"""
