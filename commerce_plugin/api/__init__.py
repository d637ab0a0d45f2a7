"""The plugin's REST API (OEP-49's rest_api shape): versioned packages below."""
