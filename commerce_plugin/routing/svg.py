"""
The routing map as a picture: SVG drawn here in pure Python.

The Tutor LMS image has no Graphviz binary and the admin must not fetch a renderer from a CDN, so the
boxes are placed by :mod:`.layout` and drawn here with ElementTree: every label is escaped and the
document is always well-formed. Arrows that send an event are dashed; live figures are written on
the arrows they belong to. Each arrow carries ``data-source``/``data-target`` (the model's keys).
"""

from xml.etree import ElementTree as ET

from django.utils.translation import gettext

from commerce_plugin.routing.layout import LINE, MARGIN, PAD_Y, SLANT, SMALL_CHAR, SMALL_LINE, label_lines, layout, wrap
from commerce_plugin.routing.model import EVENT, EXTERNAL, FILTER, SOURCE, STEP, STYLES, TABLE, TASK, build

EDGE, EMIT_EDGE, LABEL_LINE = "#90a4ae", "#ab47bc", 12


def svg(model=None) -> str:
    """``model`` (the live map by default) as a standalone SVG document (inline it in HTML, or save it)."""
    model = model or build()
    boxes, width, height = layout(model)
    root = ET.Element("svg", {"xmlns": "http://www.w3.org/2000/svg", "role": "img", "class": "commerce-routes"})
    ET.SubElement(root, "title").text = gettext("Routing map of the commerce plugin")
    defs = ET.SubElement(root, "defs")
    for marker_id, colour in (("commerce-routes-arrow", EDGE), ("commerce-routes-emit", EMIT_EDGE)):
        arrow = ET.SubElement(defs, "marker", id=marker_id, viewBox="0 0 10 10", refX="10", refY="5")
        arrow.attrib.update(markerWidth="7", markerHeight="7", orient="auto-start-reverse")
        ET.SubElement(arrow, "path", d="M0,0 L10,5 L0,10 z", fill=colour)
    kinds = {node.key: node.kind for node in model.nodes}
    labels = []
    for edge in model.edges:
        labels.append(_draw_edge(root, edge, boxes[edge.source], boxes[edge.target], kinds[edge.target]))
    for node in model.nodes:
        _draw_node(root, node, boxes[node.key])
    for middle, edge in labels:  # over the boxes, so a long arrow's words are never hidden
        _draw_edge_label(root, middle, edge)
    height = _draw_legend(root, model, height, width)
    root.attrib.update(width=f"{width:.0f}", height=f"{height:.0f}", viewBox=f"0 0 {width:.0f} {height:.0f}")
    return ET.tostring(root, encoding="unicode")


def _draw_edge(root, edge, source_box, target_box, target_kind):
    """A curve from the source's right side to the target's left, or down into a lower band's box."""
    (x1, y1, w1, h1), (x2, y2, w2, h2) = source_box, target_box
    if x2 >= x1 + w1:  # forward, left to right
        start, end = (x1 + w1, y1 + h1 / 2), (x2 + (SLANT / 2 if target_kind == STEP else 0), y2 + h2 / 2)
        bend = max((end[0] - start[0]) / 2, 20)
        controls = (start[0] + bend, start[1]), (end[0] - bend, end[1])
    elif y2 >= y1 + h1:  # into a box further down (a lower band)
        start, end = (x1 + w1 / 2, y1 + h1), (x2 + w2 / 2, y2)
        bend = max((end[1] - start[1]) / 2, 20)
        controls = (start[0], start[1] + bend), (end[0], end[1] - bend)
    else:  # back to an earlier column: leave by the left side, arrive on the target's right
        start, end = (x1, y1 + h1 / 2), (x2 + w2, y2 + h2 / 2)
        bend = max((start[0] - end[0]) / 3, 20)
        controls = (start[0] - bend, start[1]), (end[0] + bend, end[1])
    points = [start, *controls, end]
    (sx, sy), (c1x, c1y), (c2x, c2y), (ex, ey) = points
    path = f"M{sx:.1f},{sy:.1f} C{c1x:.1f},{c1y:.1f} {c2x:.1f},{c2y:.1f} {ex:.1f},{ey:.1f}"
    colour = EMIT_EDGE if edge.emits else EDGE
    attrs = {"d": path, "fill": "none", "stroke": colour, "stroke-width": "1.3", "class": "edge"}
    attrs.update({"data-source": edge.source, "data-target": edge.target})
    if edge.emits:
        attrs["stroke-dasharray"] = "5,3"
    marker = "commerce-routes-emit" if edge.emits else "commerce-routes-arrow"
    ET.SubElement(root, "path", attrs, **{"marker-end": f"url(#{marker})"})
    if x2 >= x1 + w1:  # words just after the source, in the room the layout left there
        return (start[0] + 6 + _label_width(edge) / 2, start[1]), edge
    # The Bezier curve's middle (t = 1/2).
    middle = tuple((a + 3 * b + 3 * c + d) / 8 for a, b, c, d in zip(*points, strict=True))
    return middle, edge


def _label_width(edge):
    return max((len(line) for line in label_lines(edge.label)), default=0) * SMALL_CHAR + 8


def _draw_edge_label(root, middle, edge):
    lines = label_lines(edge.label)
    if not lines:
        return
    width = _label_width(edge)
    height = len(lines) * LABEL_LINE + 4
    x, y = middle[0] - width / 2, middle[1] - height / 2
    group = ET.SubElement(root, "g", {"class": "edge-label"})
    box = {"x": f"{x:.1f}", "y": f"{y:.1f}", "width": f"{width:.1f}", "height": f"{height:.1f}", "rx": "3"}
    ET.SubElement(group, "rect", box, fill="#ffffff", stroke="#cfd8dc", **{"fill-opacity": "0.92"})
    for position, line in enumerate(lines):
        _text(group, middle[0], y + 2 + LABEL_LINE * (position + 1) - 3, line, 10, "#37474f")


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
    for line in wrap(node.label):
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


def _draw_legend(root, model, top, width):
    """One swatch per kind drawn (and the dashed arrow), wrapped to the picture's width."""
    x, y = MARGIN, top + 4
    entries = [(str(caption), fill, stroke) for kind, (caption, fill, stroke) in STYLES.items()]
    entries = [entry for entry, kind in zip(entries, STYLES, strict=True) if any(n.kind == kind for n in model.nodes)]
    for caption, fill, stroke in [*entries, (gettext("sends an event"), None, EMIT_EDGE)]:
        step = 19 + len(caption) * SMALL_CHAR + 18
        if x > MARGIN and x + step > width:
            x, y = MARGIN, y + 18
        if fill:
            ET.SubElement(root, "rect", x=f"{x:.1f}", y=f"{y:.1f}", width="14", height="10", fill=fill, stroke=stroke)
        else:
            line = {"x1": f"{x:.1f}", "x2": f"{x + 14:.1f}", "y1": f"{y + 5:.1f}", "y2": f"{y + 5:.1f}"}
            ET.SubElement(root, "line", line, stroke=stroke, **{"stroke-dasharray": "4,2"})
        label = ET.SubElement(root, "text", {"x": f"{x + 19:.1f}", "y": f"{y + 9:.1f}", "font-family": "monospace"})
        label.attrib.update({"font-size": "10", "fill": "#424242"})
        label.text = caption
        x += step
    return y + 10 + MARGIN
