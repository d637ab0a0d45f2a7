"""Payment processors the plugin talks to itself (today: Stripe, for checkout and refunds)."""
