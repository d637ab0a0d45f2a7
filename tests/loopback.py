"""The fake servers' shared part: an ``http.server`` on a free loopback port, served from a thread."""

import threading
from http.server import ThreadingHTTPServer


class LoopbackServer:
    """Serves ``handler`` at :attr:`url` while the ``with`` block runs."""

    def __init__(self, handler):
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
