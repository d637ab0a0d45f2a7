"""
The routing picture as an operator reads it on a 1280 × 900 screen: one column per stage, left to
right, the whole of it on the screen, and no arrow drawn over a box it does not join. Read from the
SVG itself (the boxes' shapes and the arrows' paths), as the browser draws it.
"""

import itertools
import re
from xml.etree import ElementTree as ET

import pytest

from commerce_plugin.operator import routing
from tests.factories import StoreFactory

SVG = "{http://www.w3.org/2000/svg}"
ORDER_FILTER = "org.openedx.commerce.order.fulfillment.requested.v1"
# The dashboard's picture frame is 1198 px wide in a 1280 px window (admin's 40 px margins, its border).
SCREEN_WIDTH, SCREEN_HEIGHT, FRAME_WIDTH = 1280, 900, 1190
NUMBER = r"-?\d+(?:\.\d+)?"


def _numbers(text):
    return [float(value) for value in re.findall(NUMBER, text)]


def _shape_box(element):
    """The bounding box of one drawn shape (rect, polygon, ellipse, or the stored table's body)."""
    tag, get = element.tag.removeprefix(SVG), element.get
    if tag == "rect":
        x, y = float(get("x")), float(get("y"))
        return x, y, x + float(get("width")), y + float(get("height"))
    if tag == "polygon":
        values = _numbers(get("points"))
        xs, ys = values[0::2], values[1::2]
        return min(xs), min(ys), max(xs), max(ys)
    if tag == "ellipse":
        cx, cy, rx, ry = (float(get(name)) for name in ("cx", "cy", "rx", "ry"))
        return cx - rx, cy - ry, cx + rx, cy + ry
    if tag == "path":  # M{x},{y} v{side} a{rx},{ry} 0 0 0 {width},0 v{-side} z
        x, y, side, _rx, ry, *_flags, width, _zero, _back = _numbers(get("d"))
        return x, y, x + width, y + side + ry
    return None


def drawn_boxes(svg_text):
    """``{label: (left, top, right, bottom)}`` of every box, from its shapes."""
    boxes = {}
    for group in ET.fromstring(svg_text).iter(f"{SVG}g"):
        if not (group.get("class") or "").startswith("node"):
            continue
        shapes = [box for box in map(_shape_box, group) if box]
        boxes[group.find(f"{SVG}title").text] = (
            min(box[0] for box in shapes),
            min(box[1] for box in shapes),
            max(box[2] for box in shapes),
            max(box[3] for box in shapes),
        )
    return boxes


def _cubic(start, c1, c2, end, steps=24):
    for step in range(steps + 1):
        t = step / steps
        yield tuple(
            (1 - t) ** 3 * a + 3 * (1 - t) ** 2 * t * b + 3 * (1 - t) * t**2 * c + t**3 * d
            for a, b, c, d in zip(start, c1, c2, end, strict=True)
        )


def arrow_points(svg_text):
    """``{(source key, target key): [points along the drawn arrow]}``, from the paths' M, L and C commands."""
    arrows = {}
    for path in ET.fromstring(svg_text).iter(f"{SVG}path"):
        if path.get("class") != "edge":
            continue
        points, here = [], None
        for command, args in re.findall(r"([MLC])([^MLC]*)", path.get("d")):
            values = _numbers(args)
            pairs = list(zip(values[0::2], values[1::2], strict=True))
            if command == "M":
                here = pairs[0]
                points.append(here)
            elif command == "L":
                for pair in pairs:
                    points += [tuple(here[i] + (pair[i] - here[i]) * k / 24 for i in (0, 1)) for k in range(1, 25)]
                    here = pair
            else:
                for c1, c2, end in zip(pairs[0::3], pairs[1::3], pairs[2::3], strict=True):
                    points += list(_cubic(here, c1, c2, end))[1:]
                    here = end
        arrows[(path.get("data-source"), path.get("data-target"))] = points
    return arrows


def configured_pipeline(settings):
    settings.OPEN_EDX_FILTERS_CONFIG = {
        ORDER_FILTER: {"pipeline": ["tests.pipeline_steps.RefuseOrg", "tests.pipeline_steps.UpgradeToProfessional"]}
    }


@pytest.fixture(params=["wired", "live", "pipeline"])
def model(request, db, settings):
    """The map as ``commerce_routes`` prints it, as the dashboard draws it with stores, and with pipeline steps."""
    if request.param == "live":
        StoreFactory(slug="shop", name="Main API store")
        StoreFactory(slug="woo", name="WooCommerce shop", kind="woocommerce")
        StoreFactory(slug="shopify", name="Shopify store", kind="shopify")
        return routing.runtime_map()
    if request.param == "pipeline":
        configured_pipeline(settings)
    return routing.build()


def test_the_picture_reads_left_to_right_one_column_per_stage(model):
    boxes = drawn_boxes(routing.svg(model))

    stages = sorted({node.layer for node in model.nodes})
    for stage, following in itertools.pairwise(stages):
        here = [boxes[node.label] for node in model.nodes if node.layer == stage]
        there = [boxes[node.label] for node in model.nodes if node.layer == following]
        assert max(box[2] for box in here) < min(box[0] for box in there), (
            f"stage {stage} reaches past the start of stage {following}"
        )


@pytest.mark.parametrize("model", ["wired", "live"], indirect=True)
def test_the_whole_picture_fits_the_dashboard_on_a_1280_by_900_screen(model):
    root = ET.fromstring(routing.svg(model))

    width, height = float(root.get("width")), float(root.get("height"))
    assert width <= FRAME_WIDTH, f"{width:.0f} px wide: the dashboard shows {FRAME_WIDTH} px at {SCREEN_WIDTH} px"
    assert height <= SCREEN_HEIGHT - 80, f"{height:.0f} px high: it does not fit a {SCREEN_HEIGHT} px screen"
    assert root.get("viewBox") == f"0 0 {width:.0f} {height:.0f}"  # drawn at its own size, text unscaled


def test_no_arrow_runs_over_a_box_it_does_not_join(model):
    text = routing.svg(model)
    boxes, labels = drawn_boxes(text), {node.key: node.label for node in model.nodes}

    over = set()
    for (source, target), points in arrow_points(text).items():
        for label, (left, top, right, bottom) in boxes.items():
            if label in (labels[source], labels[target]):
                continue
            if any(left + 2 < x < right - 2 and top + 2 < y < bottom - 2 for x, y in points):
                over.add(f"{source} -> {target} over {label!r}")
    assert not over, "arrows drawn over boxes:\n" + "\n".join(sorted(over))


def test_boxes_never_overlap(model):
    boxes = sorted(drawn_boxes(routing.svg(model)).items())

    for position, (label, (left, top, right, bottom)) in enumerate(boxes):
        for other, (left2, top2, right2, bottom2) in boxes[position + 1 :]:
            assert right <= left2 or right2 <= left or bottom <= top2 or bottom2 <= top, f"{label} overlaps {other}"
