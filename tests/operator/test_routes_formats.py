"""
The routing map drawn as Mermaid, DOT and SVG: every format draws exactly the model's arrows, with
its doors, its markup escaped and its unheard events saying so.
"""

import re
from xml.etree import ElementTree as ET

from commerce_plugin.operator import routing
from tests.operator.route_drawings import ORDER_FILTER, SVG, node_titles

MERMAID_EDGE = re.compile(r'^\s+(n\d+) (-->|-\.->)(?:\|"([^"]*)"\|)? (n\d+)$')


def model_edges(model):
    return {(edge.source, edge.target, edge.label, edge.emits) for edge in model.edges}


def mermaid_edges(model, text):
    keys = {f"n{position}": node.key for position, node in enumerate(model.nodes)}
    found = set()
    for line in text.splitlines():
        match = MERMAID_EDGE.match(line)
        if match:
            source, arrow, label, target = match.groups()
            found.add((keys[source], keys[target], (label or "").replace("#amp;", "&"), arrow == "-.->"))
    return found


def dot_edges(text):
    found = set()
    for source, target, attrs in re.findall(r'^  "(.+?)" -> "(.+?)"(?: \[(.*)\])?;$', text, re.M):
        label = re.search(r'label="([^"]*)"', attrs or "")
        found.add((source, target, label.group(1) if label else "", "style=dashed" in (attrs or "")))
    return found


def svg_edges(text):
    root = ET.fromstring(text)
    return {
        (path.get("data-source"), path.get("data-target"), path.get("stroke-dasharray") is not None)
        for path in root.iter(f"{SVG}path")
        if path.get("class") == "edge"
    }


def test_every_format_draws_exactly_the_models_arrows():
    model = routing.build()

    assert mermaid_edges(model, routing.mermaid(model)) == model_edges(model)
    assert dot_edges(routing.dot(model)) == model_edges(model)
    assert svg_edges(routing.svg(model)) == {
        (source, target, emits) for source, target, _l, emits in model_edges(model)
    }


def test_the_mermaid_text_has_the_webhook_and_coordinator_doors_leading_to_the_order_filter():
    model = routing.build()
    text = routing.mermaid(model)

    ids = {node.key: f"n{position}" for position, node in enumerate(model.nodes)}
    assert "POST /commerce-plugin/webhooks/#lt;store#gt;/<br/><i>adapters: " in text  # the installed ones
    assert 'POST /commerce-plugin/coordinator/fulfill/"]' in text
    for door in ("webhooks", "coordinator", "api"):
        assert f"  {ids[door]} --> {ids[f'filter:{ORDER_FILTER}']}" in text.splitlines()


def test_labels_with_markup_characters_are_escaped_in_every_format():
    route_map = routing.live_map()
    route_map["events"]["org.openedx.commerce.order.line.fulfilled.v1"] = [('crm.send<"vip"&co>', None)]
    model = routing.build(route_map)

    assert 'crm.send<"vip"&co>' in node_titles(routing.svg(model))
    assert '[label="crm.send<\\"vip\\"&co>"' in routing.dot(model)
    assert '["crm.send#lt;#quot;vip#quot;#amp;co#gt;"]' in routing.mermaid(model)


def test_events_nobody_listens_to_say_so():
    route_map = routing.live_map()
    route_map["events"]["org.openedx.commerce.order.line.revoked.v1"] = []
    model = routing.build(route_map)

    assert "no receiver" in routing.svg(model)
    assert 'order.line.revoked.v1\\nno receiver"' in routing.dot(model)
    assert "order.line.revoked.v1<br/><i>no receiver</i>" in routing.mermaid(model)


def test_the_dot_text_has_one_node_per_box_and_one_edge_per_arrow():
    model = routing.build()

    text = routing.dot(model)

    assert text.startswith("digraph commerce_routes {") and text.rstrip().endswith("}")
    assert text.count(" -> ") == len(model.edges)
    assert len(re.findall(r'^  "[^"]+" \[label=', text, re.M)) == len(model.nodes)
