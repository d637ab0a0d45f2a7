"""
The routing map as a picture: SVG drawn here in pure Python.

The Tutor LMS image has no Graphviz binary and the admin must not fetch a renderer from a CDN, so
the SVG is laid out by hand: layers left to right (sources → doors → filters → pipeline steps →
stored orders → events → receivers → tasks), each node placed level with what feeds it. The picture
is built with ElementTree, so every label is escaped and the document is always well-formed.
"""

from xml.etree import ElementTree as ET

from django.utils.translation import gettext

from commerce_plugin.routing.model import EVENT, EXTERNAL, FILTER, SOURCE, STEP, STYLES, TABLE, TASK, graph

WRAP, CHAR, SMALL_CHAR, LINE, SMALL_LINE = 36, 7.3, 6.1, 16, 14
PAD_X, PAD_Y, SLANT, GAP_X, GAP_Y, MARGIN = 12, 8, 14, 56, 18, 20


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
