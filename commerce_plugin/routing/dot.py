"""The routing map as Graphviz DOT text, for those who have Graphviz."""

from commerce_plugin.routing.model import (
    ENTRY,
    EVENT,
    EXTERNAL,
    FILTER,
    RECEIVER,
    SOURCE,
    STEP,
    STYLES,
    TABLE,
    TASK,
    graph,
)

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
