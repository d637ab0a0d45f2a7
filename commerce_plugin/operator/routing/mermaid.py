"""The routing map as Mermaid flowchart text: pastes into GitHub and most wikis."""

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
    TABLE,
    TASK,
)  # fmt: skip
from commerce_plugin.operator.routing.model import build

# Mermaid's node shapes, by kind ({} is the quoted label).
SHAPES = {
    SOURCE: '(["{}"])',
    ENTRY: '["{}"]',
    CODE: '("{}")',
    FILTER: '{{{{"{}"}}}}',
    STEP: '[/"{}"/]',
    TABLE: '[("{}")]',
    EXTERNAL: '>"{}"]',
    EVENT: '(("{}"))',
    RECEIVER: '["{}"]',
    TASK: '[["{}"]]',
    LMS: '[\\"{}"/]',
}


def _text(text):
    """Mermaid's entity codes for what its quoted labels cannot hold (``<store>`` would read as HTML)."""
    return text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def mermaid(model=None) -> str:
    """Flowchart text of ``model`` (the live map by default): one node per box, one line per arrow."""
    model = model or build()
    ids = {node.key: f"n{position}" for position, node in enumerate(model.nodes)}
    lines = ["flowchart LR"]
    for node in model.nodes:
        label = _text(node.label) + (f"<br/><i>{_text(node.note)}</i>" if node.note else "")
        lines.append(f"  {ids[node.key]}{SHAPES[node.kind].format(label)}")
    for edge in model.edges:
        arrow = "-.->" if edge.emits else "-->"
        label = f'|"{_text(edge.label)}"|' if edge.label else ""
        lines.append(f"  {ids[edge.source]} {arrow}{label} {ids[edge.target]}")
    return "\n".join(lines) + "\n"
