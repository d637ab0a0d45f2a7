"""
The Redis databases the demo, this suite and the benchmark use, on the real Redis at 127.0.0.1:6379:
an empty database or the project's is taken, emptied and given back empty; one holding anyone
else's keys is refused and left exactly as it was (issue 18).
"""

import pytest
import redis

from demo import redis_databases, run_demo
from demo.processes import redis_answers
from tests.integration.conftest import REDIS_HOST, REDIS_PORT, _unavailable

pytestmark = pytest.mark.integration

FOREIGN = {"someone:else:session": "theirs", "someone:else:queue": "their job"}


@pytest.fixture
def spare():
    """
    An empty database outside every pool the project uses (the demo's 4, the suite's 5-15), so no
    concurrent run of ours can touch it. Afterwards only the keys the test may have created go.
    """
    if not redis_answers(REDIS_HOST, REDIS_PORT):
        _unavailable(f"Redis is not reachable on {REDIS_HOST}:{REDIS_PORT}")
    for db in (3, 2, 1):
        client = redis.Redis(REDIS_HOST, REDIS_PORT, db=db, decode_responses=True)
        if client.dbsize() == 0:
            break
        client.close()
    else:
        pytest.skip("Redis databases 1-3 all hold keys; none is free to fill with someone else's")
    yield db, client
    client.delete(*FOREIGN, redis_databases.OWNER_KEY, redis_databases.CLAIM_KEY, "celery", "unacked")
    client.close()


def test_a_database_holding_someone_elses_keys_is_refused_and_left_as_it_was(spare):
    db, client = spare
    client.mset(FOREIGN)

    with pytest.raises(redis_databases.NoDatabase) as refused:
        redis_databases.claim([db], REDIS_HOST, REDIS_PORT, setting="COMMERCE_REDIS_DBS")

    assert f"database {db} holds 2 keys and no {redis_databases.OWNER_KEY} key" in str(refused.value)
    assert "COMMERCE_REDIS_DBS" in str(refused.value)
    assert {key: client.get(key) for key in client.keys()} == FOREIGN


def test_the_demo_runs_without_a_worker_rather_than_empty_someone_elses_database(spare, monkeypatch):
    db, client = spare
    client.mset(FOREIGN)
    monkeypatch.setattr(run_demo, "REDIS_DBS", [db])

    broker, why = run_demo.claim_broker()

    assert broker is None
    assert "left alone" in why and "DEMO_REDIS_DB" in why
    assert {key: client.get(key) for key in client.keys()} == FOREIGN


def test_an_empty_database_is_marked_while_in_use_and_left_empty(spare):
    db, client = spare

    claimed = redis_databases.claim([db], REDIS_HOST, REDIS_PORT)
    assert claimed.url == f"redis://{REDIS_HOST}:{REDIS_PORT}/{db}"
    assert client.get(redis_databases.OWNER_KEY) == redis_databases.OWNER
    client.rpush("celery", "a task")
    with pytest.raises(redis_databases.NoDatabase, match="claimed by another run"):
        redis_databases.claim([db], REDIS_HOST, REDIS_PORT)  # a second run at the same time

    claimed.empty()
    assert sorted(client.keys()) == sorted([redis_databases.OWNER_KEY, redis_databases.CLAIM_KEY])
    assert claimed.release()
    assert client.dbsize() == 0


def test_a_database_left_marked_by_a_killed_run_is_taken_again_and_emptied(spare):
    db, client = spare
    client.set(redis_databases.OWNER_KEY, redis_databases.OWNER)  # its claim expired, its tasks stayed
    client.rpush("celery", "a stale task")

    claimed = redis_databases.claim([db], REDIS_HOST, REDIS_PORT)

    assert client.llen("celery") == 0
    claimed.release()


def test_a_run_whose_claim_was_lost_empties_nothing(spare):
    db, client = spare
    claimed = redis_databases.claim([db], REDIS_HOST, REDIS_PORT)
    client.delete(redis_databases.CLAIM_KEY)  # expired: the database may be another run's by now
    client.rpush("celery", "another run's task")

    with pytest.raises(redis_databases.NoDatabase, match="no longer this run's"):
        claimed.empty()
    assert not claimed.release()
    assert client.llen("celery") == 1
