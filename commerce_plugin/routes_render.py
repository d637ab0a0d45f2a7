"""
The routing map as a picture: SVG drawn here in pure Python, and DOT text for Graphviz users.

The Tutor LMS image has no Graphviz binary and the admin must not fetch a renderer from a CDN, so
the SVG is laid out by hand: layers left to right (sources → doors → filters → pipeline steps →
stored orders → events → receivers → tasks), each node placed level with what feeds it. The picture
is built with ElementTree, so every label is escaped and the document is always well-formed.
"""

from xml.etree import ElementTree as ET

import attr
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from commerce_plugin import routes, signals

SOURCE, ENTRY, FILTER, STEP, TABLE, EXTERNAL, EVENT, RECEIVER, TASK = (
    "source", "entry", "filter", "step", "table", "external", "event", "receiver", "task"
)  # fmt: skip
# kind: (caption, fill, stroke); also the legend's order.
STYLES = {
    SOURCE: (_("source"), "#eceff1", "#546e7a"),
    ENTRY: (_("entry point"), "#e3f2fd", "#1e88e5"),
    FILTER: (_("filter"), "#fff3e0", "#ef6c00"),
    STEP: (_("pipeline step"), "#fff8e1", "#f9a825"),
    TABLE: (_("stored"), "#e8f5e9", "#43a047"),
    EXTERNAL: (_("outside the LMS"), "#fafafa", "#9e9e9e"),
    EVENT: (_("event"), "#f3e5f5", "#8e24aa"),
    RECEIVER: (_("receiver"), "#e0f2f1", "#00897b"),
    TASK: (_("Celery task"), "#e8eaf6", "#3949ab"),
}
DOT_SHAPES = {
    SOURCE: 'shape=box, style="rounded,filled"',
    ENTRY: "shape=box",
    FILTER: "shape=hexagon",
    STEP: "shape=parallelogram",
    TABLE: "shape=cylinder",
    EXTERNAL: 'shape=box, style="dashed,filled"',
    EVENT: "shape=oval",
    RECEIVER: "shape=box",
    TASK: "shape=box, peripheries=2",
}
ORDER_DOORS = [
    ("api", "POST /commerce-plugin/api/v1/orders/", "caller"),
    ("coordinator", "POST /commerce-plugin/coordinator/fulfill/", "caller"),
    ("webhooks", "POST /commerce-plugin/webhooks/<store>/", "hooks"),
]
WRAP, CHAR, SMALL_CHAR, LINE, SMALL_LINE = 36, 7.3, 6.1, 16, 14
PAD_X, PAD_Y, SLANT, GAP_X, GAP_Y, MARGIN = 12, 8, 14, 56, 18, 20


@attr.s(frozen=True, auto_attribs=True)
class Node:
    key: str
    label: str
    kind: str
    layer: int
    note: str = ""


@attr.s(frozen=True, auto_attribs=True)
class Graph:
    """Nodes in drawing order (top to bottom within a layer) and ``(source key, target key)`` edges."""

    nodes: list
    edges: list


def graph(route_map=None) -> Graph:
    """The live map as one node/edge model, so the SVG and DOT renderings cannot disagree."""
    route_map = route_map or routes.live_map()
    nodes, edges = {}, []

    def node(key, label, kind, layer, note=""):
        nodes.setdefault(key, Node(key, str(label), kind, layer, str(note)))
        return key

    def edge(source, target):
        if (source, target) not in edges:
            edges.append((source, target))

    stored = 3 + max((len(steps) for steps in route_map["filters"].values()), default=0)
    node("caller", _("store / API caller"), SOURCE, 0)
    node("hooks", _("store webhooks (WooCommerce, Shopify, Stripe)"), SOURCE, 0)
    for key, label, source in ORDER_DOORS:
        edge(source, node(key, label, ENTRY, 1))
    orders = node("orders", _("orders and lines"), TABLE, stored)
    for filter_type, steps in route_map["filters"].items():
        if routes.FILTER_ENTRIES.get(filter_type) == routes.CHECKOUT_ENTRY:
            doors = [node("checkout", "GET /commerce-plugin/checkout/", ENTRY, 1)]
            edge(node("learner", _("learner"), SOURCE, 0), doors[0])
            end = node("stripe", _("Stripe Checkout"), EXTERNAL, stored, _("paid: back by Stripe's webhook"))
        else:
            doors, end = [key for key, _label, _source in ORDER_DOORS], orders
        previous = node(f"filter:{filter_type}", filter_type, FILTER, 2)
        for door in doors:
            edge(door, previous)
        for position, step in enumerate(steps):
            edge(previous, node(f"step:{filter_type}:{position}", step, STEP, 3 + position))
            previous = f"step:{filter_type}:{position}"
        edge(previous, end)
    lms_events = {signal.event_type for signal in routes.LMS_EVENTS}
    for event_type, receivers in route_map["events"].items():
        event = node(f"event:{event_type}", event_type, EVENT, stored + 1, "" if receivers else _("no receiver"))
        if event_type == signals.ORDER_PLACED.event_type:
            edge(orders, event)
        elif event_type in lms_events:
            edge(node("lms", "LMS", SOURCE, stored), event)
        for receiver, task in receivers:
            edge(event, node(f"receiver:{receiver}", receiver, RECEIVER, stored + 2))
            if task:
                edge(f"receiver:{receiver}", node(f"task:{task}", task, TASK, stored + 3))
    return Graph(nodes=list(nodes.values()), edges=edges)


def dot(route_map=None) -> str:
    """Graphviz DOT text (``dot -Tsvg``), one rank per layer like the SVG."""
    model = graph(route_map)
    lines = ["digraph commerce_routes {", "  rankdir=LR;", '  node [fontname="monospace", fontsize=10, style=filled];']
    for node in model.nodes:
        _caption, fill, stroke = STYLES[node.kind]
        label = "\\n".join(_quote(part) for part in [node.label, node.note] if part)
        lines.append(
            f'  "{_quote(node.key)}" [label="{label}", {DOT_SHAPES[node.kind]}, fillcolor="{fill}", color="{stroke}"];'
        )
    for layer in sorted({node.layer for node in model.nodes}):
        keys = " ".join(f'"{_quote(node.key)}";' for node in model.nodes if node.layer == layer)
        lines.append(f"  {{ rank=same; {keys} }}")
    lines += [f'  "{_quote(source)}" -> "{_quote(target)}";' for source, target in model.edges]
    return "\n".join(lines) + "\n}\n"


def _quote(text):
    return text.replace("\\", "\\\\").replace('"', '\\"')


def svg(route_map=None) -> str:
    """The routing map as a standalone SVG document (inline it in HTML, or save it as a file)."""
    model = graph(route_map)
    boxes, width, height = _layout(model)
    root = ET.Element("svg", {"xmlns": "http://www.w3.org/2000/svg", "role": "img", "class": "commerce-routes"})
    ET.SubElement(root, "title").text = gettext("Routing map of the commerce plugin")
    arrow = ET.SubElement(ET.SubElement(root, "defs"), "marker", id="commerce-routes-arrow", viewBox="0 0 10 10")
    arrow.attrib.update(refX="10", refY="5", markerWidth="7", markerHeight="7", orient="auto-start-reverse")
    ET.SubElement(arrow, "path", d="M0,0 L10,5 L0,10 z", fill="#546e7a")
    for source, target in model.edges:
        (x1, y1, w1, h1), (x2, y2, _w2, h2) = boxes[source], boxes[target]
        start, end = (x1 + w1, y1 + h1 / 2), (x2 + (SLANT / 2 if _kind(model, target) == STEP else 0), y2 + h2 / 2)
        bend = max((end[0] - start[0]) / 2, 20)
        path = f"M{start[0]:.1f},{start[1]:.1f} C{start[0] + bend:.1f},{start[1]:.1f} "
        path += f"{end[0] - bend:.1f},{end[1]:.1f} {end[0]:.1f},{end[1]:.1f}"
        attrs = {"d": path, "fill": "none", "stroke": "#90a4ae", "stroke-width": "1.3"}
        ET.SubElement(root, "path", attrs, **{"marker-end": "url(#commerce-routes-arrow)"})
    for node in model.nodes:
        _draw_node(root, node, boxes[node.key])
    height = _draw_legend(root, model, height)
    root.attrib.update(width=f"{width:.0f}", height=f"{height:.0f}", viewBox=f"0 0 {width:.0f} {height:.0f}")
    return ET.tostring(root, encoding="unicode")


def _kind(model, key):
    return next(node.kind for node in model.nodes if node.key == key)


def _wrap(label):
    """Break long dotted paths and URLs after a '.', '/' or space, so boxes stay narrow."""
    lines, current = [], ""
    for char in label:
        current += char
        if char in "./ " and len(current) >= WRAP * 0.55:
            lines.append(current)
            current = ""
    lines.append(current)
    merged = [lines[0]]
    for part in lines[1:]:
        if len(merged[-1]) + len(part) <= WRAP:
            merged[-1] += part
        else:
            merged.append(part)
    return [line for line in merged if line]


def _size(node):
    caption = str(STYLES[node.kind][0])
    lines = _wrap(node.label)
    text_width = max([len(line) * CHAR for line in lines] + [len(caption) * SMALL_CHAR, len(node.note) * SMALL_CHAR])
    slant = 2 * SLANT if node.kind in (FILTER, STEP) else 0
    height = 2 * PAD_Y + SMALL_LINE + LINE * len(lines) + (SMALL_LINE if node.note else 0)
    return text_width + 2 * PAD_X + slant, height + (12 if node.kind == TABLE else 0)


def _layout(model):
    """``({key: (x, y, w, h)}, width, height)``: a column per layer, each node level with its feeders."""
    sizes = {node.key: _size(node) for node in model.nodes}
    layers = sorted({node.layer for node in model.nodes})
    feeders = {node.key: [] for node in model.nodes}
    for source, target in model.edges:
        feeders[target].append(source)
    boxes, centres, x, height = {}, {}, MARGIN, 0
    for layer in layers:
        column = [node for node in model.nodes if node.layer == layer]
        column_width = max(sizes[node.key][0] for node in column)
        wanted, previous = [], 0
        for position, node in enumerate(column):
            placed = [centres[key] for key in feeders[node.key] if key in centres]
            previous = sum(placed) / len(placed) if placed else previous
            wanted.append((previous, position, node))
        top = MARGIN
        for centre, _position, node in sorted(wanted, key=lambda item: item[:2]):
            node_height = sizes[node.key][1]
            y = max(top, centre - node_height / 2)
            boxes[node.key] = (x, y, column_width, node_height)
            centres[node.key] = y + node_height / 2
            top = y + node_height + GAP_Y
        height = max(height, top)
        x += column_width + GAP_X
    return boxes, x - GAP_X + MARGIN, height - GAP_Y + MARGIN


def _draw_node(root, node, box):
    x, y, w, h = box
    caption, fill, stroke = STYLES[node.kind]
    group = ET.SubElement(root, "g", {"class": f"node {node.kind}"})
    ET.SubElement(group, "title").text = node.label
    paint = {"fill": fill, "stroke": stroke, "stroke-width": "1.5"}
    if node.kind == FILTER:
        points = [(x + SLANT, y), (x + w - SLANT, y), (x + w, y + h / 2), (x + w - SLANT, y + h), (x + SLANT, y + h)]
        ET.SubElement(group, "polygon", paint, points=_points([*points, (x, y + h / 2)]))
    elif node.kind == STEP:
        ET.SubElement(
            group, "polygon", paint, points=_points([(x + SLANT, y), (x + w, y), (x + w - SLANT, y + h), (x, y + h)])
        )
    elif node.kind == TABLE:
        body = f"M{x:.1f},{y + 6:.1f} v{h - 12:.1f} a{w / 2:.1f},6 0 0 0 {w:.1f},0 v{12 - h:.1f} z"
        ET.SubElement(group, "path", paint, d=body)
        ET.SubElement(group, "ellipse", paint, cx=f"{x + w / 2:.1f}", cy=f"{y + 6:.1f}", rx=f"{w / 2:.1f}", ry="6")
        y += 10
    else:
        rounded = {SOURCE: 10, EVENT: h / 2}.get(node.kind, 3)
        dashed = {"stroke-dasharray": "5,3"} if node.kind == EXTERNAL else {}
        ET.SubElement(
            group,
            "rect",
            {**paint, **dashed},
            x=f"{x:.1f}",
            y=f"{y:.1f}",
            width=f"{w:.1f}",
            height=f"{h:.1f}",
            rx=f"{rounded:.1f}",
        )
        if node.kind == TASK:
            for edge_x in (x + 6, x + w - 6):
                ET.SubElement(
                    group,
                    "line",
                    x1=f"{edge_x:.1f}",
                    y1=f"{y:.1f}",
                    x2=f"{edge_x:.1f}",
                    y2=f"{y + h:.1f}",
                    stroke=stroke,
                )
    middle = x + w / 2
    baseline = y + PAD_Y + SMALL_LINE - 3
    _text(group, middle, baseline, str(caption), 10, "#546e7a")
    for line in _wrap(node.label):
        baseline += LINE
        _text(group, middle, baseline, line, 12, "#212121")
    if node.note:
        _text(group, middle, baseline + SMALL_LINE, node.note, 10, "#757575", italic=True)


def _text(parent, x, y, content, size, colour, italic=False):
    attrs = {"x": f"{x:.1f}", "y": f"{y:.1f}", "font-family": "monospace", "font-size": str(size), "fill": colour}
    attrs["text-anchor"] = "middle"
    if italic:
        attrs["font-style"] = "italic"
    ET.SubElement(parent, "text", attrs).text = content


def _points(points):
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


def _draw_legend(root, model, top):
    """One swatch per kind drawn, so an operator can read the shapes without this docstring."""
    x, y = MARGIN, top + 4
    for kind, (caption, fill, stroke) in STYLES.items():
        if not any(node.kind == kind for node in model.nodes):
            continue
        ET.SubElement(root, "rect", x=f"{x:.1f}", y=f"{y:.1f}", width="14", height="10", fill=fill, stroke=stroke)
        label = ET.SubElement(root, "text", {"x": f"{x + 19:.1f}", "y": f"{y + 9:.1f}", "font-family": "monospace"})
        label.attrib.update({"font-size": "10", "fill": "#424242"})
        label.text = str(caption)
        x += 19 + len(str(caption)) * SMALL_CHAR + 18
    return y + 10 + MARGIN
