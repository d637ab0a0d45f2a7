"""The end-to-end demo (``make demo``) and the process helpers the integration tests share."""
