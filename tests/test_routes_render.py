"""The routing picture: SVG drawn without Graphviz, DOT text, and ``commerce_routes --format/--output``."""

from xml.etree import ElementTree as ET

import pytest
from django.core.management import call_command

from commerce_plugin import routing

SVG = "{http://www.w3.org/2000/svg}"
ORDER_FILTER = "org.openedx.commerce.order.fulfillment.requested.v1"
CHECKOUT_FILTER = "org.openedx.commerce.checkout.requested.v1"


def node_titles(svg_text):
    """Each node's full label (the drawn text is wrapped over lines; the tooltip title is whole)."""
    root = ET.fromstring(svg_text)
    return {group.find(f"{SVG}title").text for group in root.iter(f"{SVG}g")}


def edges_between(model, source, target):
    return (source, target) in model.edges


def test_the_svg_is_well_formed_and_names_every_event_receiver_task_and_filter():
    live = routing.live_map()

    titles = node_titles(routing.svg())

    for event_type, receivers in live["events"].items():
        assert event_type in titles
        for receiver, task in receivers:
            assert receiver in titles
            assert task is None or task in titles
    assert set(live["filters"]) <= titles


def test_configured_pipeline_steps_are_drawn_in_order_between_their_filter_and_the_orders(settings):
    settings.OPEN_EDX_FILTERS_CONFIG = {
        ORDER_FILTER: {"pipeline": ["tests.pipeline_steps.RefuseOrg", "tests.pipeline_steps.UpgradeToProfessional"]}
    }

    model = routing.graph()

    first, second = f"step:{ORDER_FILTER}:0", f"step:{ORDER_FILTER}:1"
    assert edges_between(model, f"filter:{ORDER_FILTER}", first)
    assert edges_between(model, first, second)
    assert edges_between(model, second, "orders")
    assert {"tests.pipeline_steps.RefuseOrg", "tests.pipeline_steps.UpgradeToProfessional"} <= node_titles(
        routing.svg()
    )


def test_every_way_an_order_arrives_runs_the_order_filter_but_the_checkout_filter_runs_at_checkout():
    model = routing.graph()

    for door in ("api", "coordinator", "webhooks"):
        assert edges_between(model, door, f"filter:{ORDER_FILTER}")
        assert not edges_between(model, door, f"filter:{CHECKOUT_FILTER}")
    assert edges_between(model, "checkout", f"filter:{CHECKOUT_FILTER}")
    assert edges_between(model, f"filter:{CHECKOUT_FILTER}", "stripe")
    assert not edges_between(model, f"filter:{CHECKOUT_FILTER}", "orders")


def test_the_mermaid_text_also_starts_the_checkout_filter_at_the_checkout_page():
    text = routing.mermaid()

    checkout_id = next(line.split("{{")[0].strip() for line in text.splitlines() if CHECKOUT_FILTER in line)
    assert f"checkout --> {checkout_id}" in text
    assert f"api --> {checkout_id}" not in text


def test_labels_with_markup_characters_are_escaped_in_svg_and_dot():
    route_map = routing.live_map()
    route_map["events"]["org.openedx.commerce.order.line.fulfilled.v1"] = [('crm.send<"vip"&co>', None)]

    assert 'crm.send<"vip"&co>' in node_titles(routing.svg(route_map))
    assert '[label="crm.send<\\"vip\\"&co>"' in routing.dot(route_map)


def test_events_nobody_listens_to_say_so():
    route_map = routing.live_map()
    route_map["events"]["org.openedx.commerce.order.line.revoked.v1"] = []

    assert "no receiver" in routing.svg(route_map)
    assert 'order.line.revoked.v1\\nno receiver"' in routing.dot(route_map)


def test_the_dot_text_has_one_node_per_box_and_one_edge_per_arrow():
    model = routing.graph()

    text = routing.dot()

    assert text.startswith("digraph commerce_routes {") and text.rstrip().endswith("}")
    assert text.count(" -> ") == len(model.edges)
    assert text.count("[label=") == len(model.nodes)


@pytest.mark.parametrize(
    "fmt, opening",
    [("svg", '<svg xmlns="http://www.w3.org/2000/svg"'), ("dot", "digraph"), ("mermaid", "flowchart LR")],
)
def test_commerce_routes_prints_each_format(fmt, opening, capsys):
    call_command("commerce_routes", "--format", fmt)

    out = capsys.readouterr().out
    assert out.startswith(opening)
    assert "org.openedx.commerce.order.placed.v1" in out


def test_commerce_routes_writes_the_svg_to_a_file(tmp_path, capsys):
    target = tmp_path / "routes.svg"

    call_command("commerce_routes", "--format", "svg", "--output", str(target))

    assert capsys.readouterr().out == ""
    assert "commerce_plugin.tasks.fulfill_line" in node_titles(target.read_text(encoding="utf-8"))


def test_the_default_format_is_still_mermaid(capsys):
    call_command("commerce_routes")

    assert capsys.readouterr().out == routing.mermaid()
