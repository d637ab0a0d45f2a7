"""
The operator's side beside Django admin (``commerce_plugin.admin``): the dashboard's figures, the
health check, and the routing map (its model and renderers) that admin and ``commerce_routes`` draw.
"""
