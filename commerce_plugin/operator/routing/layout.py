"""
Where the SVG puts each box and arrow, without Graphviz but the way its ``dot`` lays a graph out:
one column per stage (the model's layer; two side by side for a stage of many boxes), read left to
right, with the stage named at its head; boxes ordered and levelled by :mod:`.ordering`, so arrows
cross little and an arrow spanning several columns passes between their boxes, never over one.

The text wraps at its dots and slashes to boxes that still fit the whole picture in
:data:`MAX_WIDTH`, the tallest columns' the widest, so the dashboard shows all of it at a readable
12 px on a 1280 × 900 screen.
"""

import itertools

import attr

from commerce_plugin.operator.routing import ordering
from commerce_plugin.operator.routing.kinds import EVENT, FILTER, STEP, STYLES, TABLE
from commerce_plugin.operator.routing.text import label_lines, text_width, widest, wrap

SIZE, SMALL, HEADING = 12, 10, 11  # font sizes: labels, notes and arrows' words, stage names
LINE, SMALL_LINE, HEADING_LINE, WORDS_LINE = 14, 12, 14, 12
PAD_X, PAD_Y, SLANT, ROUND = 8, 6, 10, 14
GAP_Y, MIN_GAP, INNER_GAP, MARGIN, WAYPOINT, LOOP, WORDS_ROOM = 12, 28, 16, 12, 4, 22, 24
# The dashboard's picture frame in a 1280 px window (admin's margins and a scrollbar taken off).
MAX_WIDTH = 1180
WIDEST_TEXT, NARROWEST_TEXT, TEXT_STEP, SHORT_NOTE = 260, 72, 4, 100
# A stage of more boxes than this is laid out in two columns, so the picture fits a 900 px screen.
TALLEST = 8


@attr.s(frozen=True, auto_attribs=True)
class Box:
    """A node's place, and its label and note as wrapped to the box."""

    x: float
    y: float
    w: float
    h: float
    lines: list
    notes: list


@attr.s(frozen=True, auto_attribs=True)
class Picture:
    """
    ``routes`` and ``words`` follow the model's edges: each route is a list of segments (two points:
    a straight run through a column; four: a curve across a gap), and ``words`` is the centre of the
    arrow's label, or ``None``. ``headings`` are ``(x centre, lines)``, drawn from :data:`MARGIN` down.
    """

    boxes: dict
    routes: list
    words: list
    headings: list
    width: float
    height: float


def words_size(label):
    """Width and height of an arrow's words, box included."""
    lines = label_lines(label)
    return (widest(lines, SMALL) + 8, len(lines) * WORDS_LINE + 4) if lines else (0, 0)


def layout(model):
    """The :class:`Picture` of ``model``."""
    column_of, spans = _columns(model)
    members = [[node for node in model.nodes if column_of[node.key] == index] for index in range(spans[-1][1] + 1)]
    chains, passing = ordering.waypoints(model.edges, column_of)
    gaps, least = _gaps(model.edges, chains, column_of, spans)
    texts = _text_widths(members, gaps, least, passing)
    widths = _column_widths(members, texts, least)
    lefts = list(itertools.accumulate([MARGIN, *(width + gap for width, gap in zip(widths, gaps, strict=False))]))
    # A stage's heading spans its columns: (left, right, lines).
    headings = []
    for first, last in spans:
        left_x, right_x = lefts[first], lefts[last] + widths[last]
        names = _stage_name([node for nodes in members[first : last + 1] for node in nodes])
        headings.append((left_x, right_x, wrap(names, right_x - left_x - 4, HEADING)))
    wrapped = {node.key: _wrapped(node, texts[column_of[node.key]]) for node in model.nodes}
    kinds = {node.key: node.kind for node in model.nodes}

    def size(item):
        if item in wrapped:
            return _height(kinds[item], *wrapped[item])
        first_waypoint = chains[item[1]][1] == item  # it carries the arrow's words
        return max(WAYPOINT, words_size(model.edges[item[1]].label)[1] if first_waypoint else 0)

    def column(item):
        return column_of[item] if item in column_of else item[2]

    left, right = ordering.neighbours(chains, column)
    start = [[node.key for node in nodes] + passing.get(index, []) for index, nodes in enumerate(members)]
    top = ordering.heights(ordering.order(start, left, right), size, left, right, GAP_Y)
    head = MARGIN + max(len(lines) for _left, _right, lines in headings) * HEADING_LINE + 8
    centre = {item: head + y + size(item) / 2 for item, y in top.items()}
    boxes = {}
    for node in model.nodes:
        index = column_of[node.key]
        boxes[node.key] = Box(lefts[index], head + top[node.key], widths[index], size(node.key), *wrapped[node.key])
    ends = _ends(chains, boxes, kinds, centre, column)
    routes, words = [], []
    for index, (edge, chain) in enumerate(zip(model.edges, chains, strict=True)):
        forward = column(chain[-1]) >= column(chain[0])
        points = [ends[(index, 0)]]
        for waypoint in chain[1:-1]:
            y, near = centre[waypoint], lefts[waypoint[2]]
            far = near + widths[waypoint[2]]
            points += [(near, y), (far, y)] if forward else [(far, y), (near, y)]
        points.append(ends[(index, 1)])
        # Curves across the gaps, straight runs through the columns passed.
        routes.append(
            [_curve(*points[i : i + 2]) if i % 2 == 0 else tuple(points[i : i + 2]) for i in range(len(points) - 1)]
        )
        words.append(_words_at(edge, chain, points[0], centre, lefts, widths, forward))
    bottom = max(head + y + size(item) for item, y in top.items())
    middles = [((left_x + right_x) / 2, lines) for left_x, right_x, lines in headings]
    return Picture(boxes, routes, words, middles, lefts[-1] + widths[-1] + MARGIN, bottom + MARGIN)


def _columns(model):
    """
    ``(column_of, spans)``: each node's column, and each stage's first and last column. A stage of
    more than :data:`TALLEST` boxes is laid out in two columns side by side, the right one holding
    the half of its boxes linked most to later stages (the events only tasks and receivers send).
    """
    stages = sorted({node.layer for node in model.nodes})
    stage_of = {node.key: stages.index(node.layer) for node in model.nodes}
    lean = dict.fromkeys(stage_of, 0)  # links to later stages less links to earlier ones
    for edge in model.edges:
        source, target = stage_of[edge.source], stage_of[edge.target]
        if source != target:
            lean[edge.source] += 1 if target > source else -1
            lean[edge.target] += 1 if source > target else -1
    column_of, spans = {}, []
    for index in range(len(stages)):
        keys = [key for key, stage in stage_of.items() if stage == index]
        right = set(sorted(keys, key=lean.get)[(len(keys) + 1) // 2 :]) if len(keys) > TALLEST else set()
        first = spans[-1][1] + 1 if spans else 0
        column_of.update((key, first + (key in right)) for key in keys)
        spans.append((first, first + bool(right)))
    return column_of, spans


def _gaps(edges, chains, column_of, spans):
    """Each gap's width (room for the words of an arrow joining next columns) and each column's least width."""
    count = spans[-1][1] + 1
    inner = {first for first, last in spans if last > first}  # between a stage's two columns
    gaps, least = [INNER_GAP if gap in inner else MIN_GAP for gap in range(count - 1)], [0] * count
    for edge, chain in zip(edges, chains, strict=True):
        width = words_size(edge.label)[0]
        start, end = column_of[edge.source], column_of[edge.target]
        if not width or start == end:
            continue
        if len(chain) > 2:  # the words ride on the first waypoint, in the next column
            least[chain[1][2]] = max(least[chain[1][2]], width + 8)
        else:
            gap = min(start, end)
            gaps[gap] = max(gaps[gap], width + WORDS_ROOM)
    return gaps, least


def _text_widths(members, gaps, least, passing):
    """
    Each column's text width (px): the tallest column widened first, a step at a time, while every
    column side by side still fits :data:`MAX_WIDTH`, so the busiest columns wrap their text least.
    No column starts narrower than its short notes (a store's kind and slug stay on one line).
    """
    fixed = 2 * MARGIN + sum(gaps)

    def width(texts):
        return fixed + sum(_column_widths(members, texts, least))

    texts = [max([NARROWEST_TEXT, *_short_notes(nodes)]) for nodes in members]
    if width(texts) > MAX_WIDTH:  # the sources' short notes (a store's kind and slug) are kept longest
        texts = [texts[0], *[NARROWEST_TEXT] * (len(members) - 1)]
    if width(texts) > MAX_WIDTH:
        texts = [NARROWEST_TEXT] * len(members)

    def stacked(index):
        boxes = sum(_height(node.kind, *_wrapped(node, texts[index])) + GAP_Y for node in members[index])
        return boxes + len(passing.get(index, [])) * (WAYPOINT + GAP_Y)

    growing = set(range(len(members)))
    while growing:
        index = max(growing, key=lambda column: (stacked(column), -column))
        texts[index] += TEXT_STEP
        if texts[index] > WIDEST_TEXT or width(texts) > MAX_WIDTH:
            texts[index] -= TEXT_STEP
            growing.discard(index)
    return texts


def _short_notes(nodes):
    widths = (text_width(node.note, SMALL) for node in nodes if node.note)
    return [width for width in widths if width <= SHORT_NOTE]


def _column_widths(members, texts, least):
    return [_column_width(nodes, text, floor) for nodes, text, floor in zip(members, texts, least, strict=True)]


def _column_width(nodes, text, least):
    return max([least, *(_natural(node, *_wrapped(node, text)) for node in nodes)])


def _wrapped(node, text):
    return wrap(node.label, text, SIZE), wrap(node.note, text, SMALL) if node.note else []


def _natural(node, lines, notes):
    slant = 2 * SLANT if node.kind in (FILTER, STEP) else 0
    return max(widest(lines, SIZE), widest(notes, SMALL)) + 2 * PAD_X + slant


def _height(kind, lines, notes):
    return 2 * PAD_Y + LINE * len(lines) + SMALL_LINE * len(notes) + (12 if kind == TABLE else 0)


def _stage_name(nodes):
    """A column's heading: the kinds of box in it, in the legend's order."""
    kinds = {node.kind for node in nodes}
    return " · ".join(str(caption) for kind, (caption, _fill, _stroke) in STYLES.items() if kind in kinds)


def _side_x(kind, box, y, right):
    """Where a horizontal arrow at height ``y`` meets the outline of ``box`` (its right side or its left)."""
    offset = 0.0
    if kind == FILTER:
        offset = SLANT * abs(y - box.y - box.h / 2) / (box.h / 2)
    elif kind == STEP:
        offset = SLANT * ((y - box.y) / box.h if right else 1 - (y - box.y) / box.h)
    elif kind == EVENT:
        from_corner = max(0.0, ROUND - min(y - box.y, box.y + box.h - y))
        offset = ROUND - (ROUND**2 - from_corner**2) ** 0.5
    return box.x + box.w - offset if right else box.x + offset


def _ends(chains, boxes, kinds, centre, column):
    """
    ``{(edge index, 0 or 1): point}``: where each arrow leaves its source and enters its target. The
    arrows on one side of a box are spread along it in the order of where they come from or go, so
    they do not cross at the box.
    """
    sides = {}  # (key, right side?) -> [(the height of what lies beyond, edge index, end)]
    for index, chain in enumerate(chains):
        first, last = column(chain[0]), column(chain[-1])
        sides.setdefault((chain[0], last >= first), []).append((centre[chain[1]], index, 0))
        # Backwards, or a loop within one column: into the target's right side.
        sides.setdefault((chain[-1], last <= first), []).append((centre[chain[-2]], index, 1))
    ends = {}
    for (key, right), attached in sides.items():
        box = boxes[key]
        for position, (_beyond, index, end) in enumerate(sorted(attached)):
            y = box.y + box.h * (position + 1) / (len(attached) + 1)
            ends[(index, end)] = (_side_x(kinds[key], box, y, right), y)
    return ends


def _curve(start, end):
    """A curve leaving and arriving level (a loop out to the right when both ends are on one side)."""
    (x1, y1), (x2, y2) = start, end
    bend = (x2 - x1) / 2 if abs(x2 - x1) > 1 else LOOP
    return start, (x1 + bend, y1), (x2 - bend if abs(x2 - x1) > 1 else x2 + LOOP, y2), end


def _words_at(edge, chain, start, centre, lefts, widths, forward):
    """Where an arrow's words go: on its first waypoint, or in the gap just past its source."""
    if not edge.label:
        return None
    if len(chain) > 2:
        column = chain[1][2]
        return lefts[column] + widths[column] / 2, centre[chain[1]]
    width, (x, y) = words_size(edge.label)[0], start
    return (x + 4 + width / 2 if forward else x - 4 - width / 2), y
