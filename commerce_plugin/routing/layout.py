"""
Where the SVG puts each box, without Graphviz: a column per layer, each node level with what feeds
it, and the columns wrapped into bands stacked top to bottom once a band reaches :data:`MAX_WIDTH`,
so the picture is taller rather than very wide and its text stays readable on an admin page.
"""

from commerce_plugin.routing.model import FILTER, STEP, STYLES, TABLE

WRAP, CHAR, SMALL_CHAR, LINE, SMALL_LINE = 32, 7.3, 6.1, 16, 14
PAD_X, PAD_Y, SLANT, GAP_X, GAP_Y, MARGIN, BAND_GAP = 12, 8, 14, 56, 18, 20, 48
# About the dashboard's width at 1400 px; wider maps wrap into another band.
MAX_WIDTH = 1240


def wrap(label):
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


def label_lines(label):
    """An edge's label, one figure a line ("24 h: 3 orders · 1 failed" → two lines)."""
    return [part.strip() for part in label.split(" · ")] if label else []


def size(node):
    caption = str(STYLES[node.kind][0])
    lines = wrap(node.label)
    text_width = max([len(line) * CHAR for line in lines] + [len(caption) * SMALL_CHAR, len(node.note) * SMALL_CHAR])
    slant = 2 * SLANT if node.kind in (FILTER, STEP) else 0
    height = 2 * PAD_Y + SMALL_LINE + LINE * len(lines) + (SMALL_LINE if node.note else 0)
    return text_width + 2 * PAD_X + slant, height + (12 if node.kind == TABLE else 0)


def layout(model):
    """``({key: (x, y, w, h)}, width, height)`` of ``model``'s nodes."""
    sizes = {node.key: size(node) for node in model.nodes}
    layer_of = {node.key: node.layer for node in model.nodes}
    layers = sorted(set(layer_of.values()))
    columns = {layer: [node for node in model.nodes if node.layer == layer] for layer in layers}
    widths = {layer: max(sizes[node.key][0] for node in columns[layer]) for layer in layers}
    gaps = {layer: GAP_X for layer in layers}
    for edge in model.edges:  # room for the words written where a forward arrow starts
        if edge.label and layer_of[edge.target] > layer_of[edge.source]:
            wanted = max(len(line) for line in label_lines(edge.label)) * SMALL_CHAR + 24
            gaps[layer_of[edge.source]] = max(gaps[layer_of[edge.source]], wanted)
    feeders = {node.key: [] for node in model.nodes}
    for edge in model.edges:
        feeders[edge.target].append(edge.source)
    boxes, width, band_top, band_bottom, x = {}, 0, MARGIN, MARGIN, MARGIN
    centres = {}
    for layer in layers:
        if x > MARGIN and x + widths[layer] > MAX_WIDTH:  # a new band below the previous one
            band_top, x, centres = band_bottom + BAND_GAP - GAP_Y, MARGIN, {}
        top = _place_column(columns[layer], sizes, feeders, centres, boxes, x, widths[layer], band_top)
        band_bottom = max(band_bottom, top)
        width = max(width, x + widths[layer])
        x += widths[layer] + gaps[layer]
    return boxes, width + MARGIN, band_bottom - GAP_Y + MARGIN


def _place_column(column, sizes, feeders, centres, boxes, x, column_width, band_top):
    """Place one column's nodes level with their feeders in this band; returns the column's bottom."""
    wanted, previous = [], band_top
    for position, node in enumerate(column):
        placed = [centres[key] for key in feeders[node.key] if key in centres]
        previous = sum(placed) / len(placed) if placed else previous
        wanted.append((previous, position, node))
    top = band_top
    for centre, _position, node in sorted(wanted, key=lambda item: item[:2]):
        node_height = sizes[node.key][1]
        y = max(top, centre - node_height / 2)
        boxes[node.key] = (x, y, column_width, node_height)
        centres[node.key] = y + node_height / 2
        top = y + node_height + GAP_Y
    return top
