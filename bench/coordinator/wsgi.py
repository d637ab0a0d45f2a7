"""The bench Coordinator as a WSGI application (``gunicorn bench.coordinator.wsgi``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.coordinator.settings")
application = get_wsgi_application()
