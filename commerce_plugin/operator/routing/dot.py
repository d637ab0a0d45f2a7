"""The routing map as Graphviz DOT text (``dot -Tsvg``), for those who have Graphviz."""

from commerce_plugin.operator.routing.kinds import (
    CODE,
    ENTRY,
    EVENT,
    EXTERNAL,
    FILTER,
    LMS,
    RECEIVER,
    SOURCE,
    STEP,
    STYLES,
    TABLE,
    TASK,
)  # fmt: skip
from commerce_plugin.operator.routing.model import build

SHAPES = {
    SOURCE: 'shape=box, style="rounded,filled"',
    ENTRY: "shape=box",
    CODE: 'shape=box, style="rounded,filled"',
    FILTER: "shape=hexagon",
    STEP: "shape=parallelogram",
    TABLE: "shape=cylinder",
    EXTERNAL: 'shape=box, style="dashed,filled"',
    EVENT: "shape=oval",
    RECEIVER: "shape=box",
    TASK: "shape=box, peripheries=2",
    LMS: "shape=trapezium",
}


def dot(model=None) -> str:
    """DOT text of ``model`` (the live map by default), one rank per layer like the SVG."""
    model = model or build()
    lines = ["digraph commerce_routes {", "  rankdir=LR;", '  node [fontname="monospace", fontsize=10, style=filled];']
    for node in model.nodes:
        _caption, fill, stroke = STYLES[node.kind]
        label = "\\n".join(_quote(part) for part in [node.label, node.note] if part)
        lines.append(
            f'  "{_quote(node.key)}" [label="{label}", {SHAPES[node.kind]}, fillcolor="{fill}", color="{stroke}"];'
        )
    for layer in sorted({node.layer for node in model.nodes}):
        keys = " ".join(f'"{_quote(node.key)}";' for node in model.nodes if node.layer == layer)
        lines.append(f"  {{ rank=same; {keys} }}")
    for edge in model.edges:
        attrs = [f'label="{_quote(edge.label)}"'] if edge.label else []
        attrs += ["style=dashed"] if edge.emits else []
        suffix = f" [{', '.join(attrs)}]" if attrs else ""
        lines.append(f'  "{_quote(edge.source)}" -> "{_quote(edge.target)}"{suffix};')
    return "\n".join(lines) + "\n}\n"


def _quote(text):
    return text.replace("\\", "\\\\").replace('"', '\\"')
