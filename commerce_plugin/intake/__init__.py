"""
Intake: how a paid order comes in. Store adapters verify and read webhooks (``stores/``), deliveries
record each one and act on it, backfill recovers what a webhook missed, and checkout sells seats from
the LMS itself. The REST API (``commerce_plugin.api``) is intake too. All of it hands orders to the core.
"""
