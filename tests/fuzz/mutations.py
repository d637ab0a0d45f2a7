"""
Hypothesis strategies that break a valid payload the way a buggy or hostile sender would: keys
dropped, values of the wrong type, huge or exotic strings, nested junk, negative or absurd amounts,
impossible dates. Mutations favour the fields a parser reads (``hot`` paths) but may hit any node.
"""

import copy

from hypothesis import strategies as st

SPECIAL = [
    "",
    " ",
    "0",
    "-1",
    "-49.00",
    "0.001",
    "1e400",
    "99999999999999999999.99",
    "NaN",
    "Infinity",
    "null",
    "9999-12-31T23:59:59-05:00",
    "0001-01-01T00:00:00+05:00",
    "2026-13-45T25:61:61Z",
    "2026-02-30",
    "yesterday",
    "course-v1:Org+PY101+2026",
    "course-v1:Org+NOPE+2026",
    "course-v1:",
    "verified",
    "audit",
    "PY101",
    "x" * 300,
    "ü" * 200,
    "a" * 64 + "@" + ("b" * 63 + ".") * 3 + "com",  # a valid address longer than the column (254)
    "\x00",
    "\ud800",
    "💸" * 40,
    "'; DROP TABLE commerce_plugin_order; --",
    "../../etc/passwd",
]

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.text(min_size=200, max_size=3000),
    st.sampled_from(SPECIAL),
)
JUNK = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def _paths(node, prefix=()):
    """Every path to a node of a JSON document (the root excluded)."""
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in children:
        yield (*prefix, key)
        yield from _paths(child, (*prefix, key))


def _get(doc, path):
    for key in path:
        doc = doc[key]
    return doc


def _apply(draw, doc, path):
    parent, key = _get(doc, path[:-1]), path[-1]
    operation = draw(st.sampled_from(["drop", "replace", "replace", "add", "duplicate"]))
    if operation == "drop":
        del parent[key]
    elif operation == "replace":
        parent[key] = draw(JUNK)
    elif operation == "add" and isinstance(parent, dict):
        parent[draw(st.text(max_size=10))] = draw(JUNK)
    elif isinstance(parent, list):
        parent.append(copy.deepcopy(parent[key]))
    else:
        parent[key] = [copy.deepcopy(parent[key]), copy.deepcopy(parent[key])]


@st.composite
def mutated(draw, payload, hot=(), max_mutations=4):
    """
    ``payload`` with one to ``max_mutations`` mutations. ``hot`` lists paths (tuples; ``"*"``
    matches any key) worth aiming at; other nodes are hit a third of the time.
    """
    doc = copy.deepcopy(payload)
    for _ in range(draw(st.integers(min_value=1, max_value=max_mutations))):
        paths = list(_paths(doc))
        if not paths:
            return draw(JUNK) if draw(st.booleans()) else doc
        aimed = [path for path in paths if any(_matches(path, pattern) for pattern in hot)]
        pool = aimed if aimed and draw(st.integers(0, 2)) else paths
        _apply(draw, doc, draw(st.sampled_from(pool)))
    return doc


def _matches(path, pattern):
    return len(path) == len(pattern) and all(p == "*" or p == k for k, p in zip(path, pattern, strict=True))
