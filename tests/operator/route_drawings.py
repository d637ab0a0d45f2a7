"""
Reading a drawn routing map back, for the tests of the model, of its formats and of
``commerce_routes``: each SVG node's whole label, and the filter every arriving order passes.
"""

from xml.etree import ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"
ORDER_FILTER = "org.openedx.commerce.order.fulfillment.requested.v1"


def node_titles(svg_text):
    """Each node's full label (the drawn text is wrapped over lines; the tooltip title is whole)."""
    root = ET.fromstring(svg_text)
    return {group.find(f"{SVG}title").text for group in root.iter(f"{SVG}g") if group.find(f"{SVG}title") is not None}
