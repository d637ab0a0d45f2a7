"""
The Redis databases the demo, the integration tests and the benchmark use as their Celery broker,
and the only way they empty one.

A local Redis is often shared: other projects keep their data in its numbered databases. So a
database is taken only if it is empty or carries the key ``commerce_plugin:owned-by`` (which this
module sets while the project uses it), and only a database this run claimed is ever emptied. A
database holding anything else is left alone and named in the refusal.

Each step is one Lua script, so checking a database and emptying it happen atomically: nothing
written between the check and the ``FLUSHDB`` is lost. The claim key (with a time to live, in case
a run is killed) keeps two runs on one machine off the same database.
"""

import os
import secrets

# The integration tests, the benchmark and the crash drill claim one of these per run; the demo uses
# DEMO_REDIS_DB (default 4).
POOL_SETTING = "COMMERCE_REDIS_DBS"
POOL_DEFAULT = "5-15"
OWNER_KEY = "commerce_plugin:owned-by"
OWNER = "commerce_plugin (make demo, make test-integration, make bench): emptied by them, removed when done"
CLAIM_KEY = "commerce_plugin:claimed"
CLAIM_SECONDS = 3600

_STEP = """
local claimed_by = redis.call('GET', KEYS[2])
if ARGV[4] == 'claim' then
  if redis.call('EXISTS', KEYS[1]) == 0 and redis.call('DBSIZE') > 0 then
    return 'foreign ' .. redis.call('DBSIZE')
  end
  if claimed_by then return 'claimed' end
elseif claimed_by ~= ARGV[2] then
  return 'not ours'
end
redis.call('FLUSHDB')
if ARGV[4] ~= 'release' then
  redis.call('SET', KEYS[1], ARGV[1])
  redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
end
return 'ok'
"""


class NoDatabase(RuntimeError):
    """No database in the candidates is free: each holds someone else's keys or another run's claim."""


class Claimed:
    """A database this run holds: ``client`` is a redis-py client on it, ``url`` the broker URL."""

    def __init__(self, client, host, port, db, token):
        self.client, self.host, self.port, self.db, self._token = client, host, port, db, token

    @property
    def url(self):
        return f"redis://{self.host}:{self.port}/{self.db}"

    def empty(self):
        """Drop everything queued (the marker and the claim stay); refuses once the claim is lost."""
        answer = _run(self.client, "empty", self._token)
        if answer != "ok":
            raise NoDatabase(f"Redis database {self.db} is no longer this run's ({answer}): not emptied")

    def release(self):
        """Empty the database and give it up, leaving no key behind; a lost claim leaves it as it is."""
        return _run(self.client, "release", self._token) == "ok"


def claim(dbs, host="127.0.0.1", port=6379, setting="the database numbers"):
    """
    The first of ``dbs`` that is empty or the project's, claimed and emptied; else ``NoDatabase``.

    ``setting`` names what chooses ``dbs`` (an environment variable), for the refusal's message.
    """
    import redis  # pylint: disable=import-outside-toplevel  # the demo runs without it, eagerly

    token = secrets.token_hex(8)
    why = []
    for db in dbs:
        client = redis.Redis(host, port, db=db)
        answer = _run(client, "claim", token)
        if answer == "ok":
            return Claimed(client, host, port, db, token)
        client.close()
        if answer.startswith("foreign"):
            why.append(f"database {db} holds {answer.split()[1]} keys and no {OWNER_KEY} key: not ours, left alone")
        else:
            why.append(f"database {db} is claimed by another run")
    raise NoDatabase(
        f"no Redis database on {host}:{port} is free for this run ({'; '.join(why)}). Name empty ones with {setting}."
    )


def pool():
    """The databases ``COMMERCE_REDIS_DBS`` names (default 5-15)."""
    return parse(os.environ.get(POOL_SETTING) or POOL_DEFAULT)


def parse(text):
    """``"5-15"``, ``"7"`` or ``"4,6-8"`` as a list of database numbers."""
    dbs = []
    for part in text.replace(" ", "").split(","):
        first, _, last = part.partition("-")
        dbs.extend(range(int(first), int(last or first) + 1))
    return dbs


def _run(client, step, token):
    answer = client.eval(_STEP, 2, OWNER_KEY, CLAIM_KEY, OWNER, token, CLAIM_SECONDS, step)
    return answer.decode() if isinstance(answer, bytes) else str(answer)
