"""
The routing map an operator can print or see on the dashboard: :mod:`.model` reads what is wired
now; :mod:`.mermaid`, :mod:`.dot` and :mod:`.svg` draw it.
"""

from commerce_plugin.routing.dot import dot
from commerce_plugin.routing.mermaid import mermaid
from commerce_plugin.routing.model import graph, live_map
from commerce_plugin.routing.svg import svg

__all__ = ["dot", "graph", "live_map", "mermaid", "svg"]
