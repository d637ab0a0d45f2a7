"""
The routing map an operator can print or see on the dashboard: :mod:`.model` reads what is wired
now (and :mod:`.live`, the stores' last day); :mod:`.mermaid`, :mod:`.dot` and :mod:`.svg` draw it.
"""

from commerce_plugin.operator.routing.dot import dot
from commerce_plugin.operator.routing.live import store_figures
from commerce_plugin.operator.routing.mermaid import mermaid
from commerce_plugin.operator.routing.model import RoutingMap, build, live_map
from commerce_plugin.operator.routing.svg import svg

__all__ = ["RoutingMap", "build", "dot", "live_map", "mermaid", "store_figures", "svg"]


def runtime_map() -> RoutingMap:
    """The wiring with the configured stores and their last day's figures (the dashboard's picture)."""
    return build(stores=store_figures())
