"""
The routing map as a picture: SVG drawn here in pure Python.

The Tutor LMS image has no Graphviz binary and the admin must not fetch a renderer from a CDN, so the
boxes and arrows are placed by :mod:`.layout` and drawn here with ElementTree: every label is escaped
and the document is always well-formed. Arrows that send an event are dashed; live figures are
written on the arrows they belong to. Each arrow carries ``data-source``/``data-target`` and each box
``data-key`` (the model's keys), and each box ``data-stage`` (its column, from 0 on the left).
"""

from xml.etree import ElementTree as ET

from django.utils.translation import gettext

from commerce_plugin.operator.routing.kinds import EVENT, EXTERNAL, FILTER, SOURCE, STEP, STYLES, TABLE, TASK
from commerce_plugin.operator.routing.layout import (
    HEADING,
    HEADING_LINE,
    LINE,
    MARGIN,
    PAD_Y,
    ROUND,
    SIZE,
    SLANT,
    SMALL,
    SMALL_LINE,
    WORDS_LINE,
    layout,
    words_size,
)
from commerce_plugin.operator.routing.model import build
from commerce_plugin.operator.routing.text import FONT, label_lines, text_width

EDGE, EMIT_EDGE = "#90a4ae", "#ab47bc"


def svg(model=None) -> str:
    """``model`` (the live map by default) as a standalone SVG document (inline it in HTML, or save it)."""
    model = model or build()
    picture = layout(model)
    root = ET.Element("svg", {"xmlns": "http://www.w3.org/2000/svg", "role": "img", "class": "commerce-routes"})
    root.set("font-family", FONT)
    ET.SubElement(root, "title").text = gettext("Routing map of the commerce plugin")
    defs = ET.SubElement(root, "defs")
    for marker_id, colour in (("commerce-routes-arrow", EDGE), ("commerce-routes-emit", EMIT_EDGE)):
        arrow = ET.SubElement(defs, "marker", id=marker_id, viewBox="0 0 10 10", refX="10", refY="5")
        arrow.attrib.update(markerWidth="7", markerHeight="7", orient="auto-start-reverse")
        ET.SubElement(arrow, "path", d="M0,0 L10,5 L0,10 z", fill=colour)
    for middle, lines in picture.headings:
        for position, line in enumerate(lines):
            y = MARGIN + HEADING_LINE * (position + 1) - 3
            _text(root, middle, y, line, HEADING, "#546e7a", **{"font-weight": "bold", "class": "stage"})
    for edge, segments in zip(model.edges, picture.routes, strict=True):
        _draw_edge(root, edge, segments)
    stage = {layer: index for index, layer in enumerate(sorted({node.layer for node in model.nodes}))}
    for node in model.nodes:
        _draw_node(root, node, picture.boxes[node.key], stage[node.layer])
    for edge, middle in zip(model.edges, picture.words, strict=True):  # over the boxes: never hidden
        if middle:
            _draw_words(root, middle, edge)
    height = _draw_legend(root, model, picture.height, picture.width)
    width = picture.width
    root.attrib.update(width=f"{width:.0f}", height=f"{height:.0f}", viewBox=f"0 0 {width:.0f} {height:.0f}")
    return ET.tostring(root, encoding="unicode")


def _draw_edge(root, edge, segments):
    """One path through the layout's segments: curves across the gaps, straight runs through columns."""
    path = f"M{segments[0][0][0]:.1f},{segments[0][0][1]:.1f}"
    for segment in segments:
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in segment[1:])
        path += f" {'C' if len(segment) == 4 else 'L'}{points}"
    colour = EMIT_EDGE if edge.emits else EDGE
    attrs = {"d": path, "fill": "none", "stroke": colour, "stroke-width": "1.3", "class": "edge"}
    attrs.update({"data-source": edge.source, "data-target": edge.target})
    if edge.emits:
        attrs["stroke-dasharray"] = "5,3"
    marker = "commerce-routes-emit" if edge.emits else "commerce-routes-arrow"
    ET.SubElement(root, "path", attrs, **{"marker-end": f"url(#{marker})"})


def _draw_words(root, middle, edge):
    lines = label_lines(edge.label)
    width, height = words_size(edge.label)
    x, y = middle[0] - width / 2, middle[1] - height / 2
    group = ET.SubElement(root, "g", {"class": "edge-label"})
    box = {"x": f"{x:.1f}", "y": f"{y:.1f}", "width": f"{width:.1f}", "height": f"{height:.1f}", "rx": "3"}
    ET.SubElement(group, "rect", box, fill="#ffffff", stroke="#cfd8dc", **{"fill-opacity": "0.92"})
    for position, line in enumerate(lines):
        _text(group, middle[0], y + 2 + WORDS_LINE * (position + 1) - 3, line, SMALL, "#37474f")


def _draw_node(root, node, box, stage):
    x, y, w, h = box.x, box.y, box.w, box.h
    _caption, fill, stroke = STYLES[node.kind]
    group = ET.SubElement(root, "g", {"class": f"node {node.kind}", "data-key": node.key, "data-stage": str(stage)})
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
        y += 6
    else:
        rounded = {SOURCE: 10, EVENT: ROUND}.get(node.kind, 3)
        dashed = {"stroke-dasharray": "5,3"} if node.kind == EXTERNAL else {}
        size = {"x": f"{x:.1f}", "y": f"{y:.1f}", "width": f"{w:.1f}", "height": f"{h:.1f}"}
        ET.SubElement(group, "rect", {**paint, **dashed, **size}, rx=f"{rounded:.1f}")
        if node.kind == TASK:
            for edge_x in (x + 5, x + w - 5):
                ends = {"x1": f"{edge_x:.1f}", "y1": f"{y:.1f}", "x2": f"{edge_x:.1f}", "y2": f"{y + h:.1f}"}
                ET.SubElement(group, "line", ends, stroke=stroke)
    middle, baseline = x + w / 2, y + PAD_Y - 3
    for line in box.lines:
        baseline += LINE
        _text(group, middle, baseline, line, SIZE, "#212121")
    for line in box.notes:
        baseline += SMALL_LINE
        _text(group, middle, baseline, line, SMALL, "#757575", **{"font-style": "italic"})


def _text(parent, x, y, content, size, colour, **extra):
    """Centred text, asked to be as long as Arial draws it, so a wider face is squeezed into its box."""
    attrs = {"x": f"{x:.1f}", "y": f"{y:.1f}", "font-size": str(size), "fill": colour, "text-anchor": "middle"}
    attrs.update(textLength=f"{text_width(content, size):.1f}", lengthAdjust="spacingAndGlyphs", **extra)
    ET.SubElement(parent, "text", attrs).text = content


def _points(points):
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


def _draw_legend(root, model, top, width):
    """One swatch per kind drawn (and the dashed arrow), wrapped to the picture's width."""
    x, y = MARGIN, top
    kinds = {node.kind for node in model.nodes}
    entries = [(str(caption), fill, stroke) for kind, (caption, fill, stroke) in STYLES.items() if kind in kinds]
    for caption, fill, stroke in [*entries, (gettext("sends an event"), None, EMIT_EDGE)]:
        step = 19 + text_width(caption, SMALL) + 16
        if x > MARGIN and x + step > width:
            x, y = MARGIN, y + 16
        if fill:
            ET.SubElement(root, "rect", x=f"{x:.1f}", y=f"{y:.1f}", width="14", height="10", fill=fill, stroke=stroke)
        else:
            line = {"x1": f"{x:.1f}", "x2": f"{x + 14:.1f}", "y1": f"{y + 5:.1f}", "y2": f"{y + 5:.1f}"}
            ET.SubElement(root, "line", line, stroke=stroke, **{"stroke-dasharray": "4,2"})
        label = ET.SubElement(root, "text", {"x": f"{x + 19:.1f}", "y": f"{y + 9:.1f}", "font-size": str(SMALL)})
        label.attrib["fill"] = "#424242"
        label.text = caption
        x += step
    return y + 10 + MARGIN
