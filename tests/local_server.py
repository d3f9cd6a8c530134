"""A throwaway HTTP server on 127.0.0.1 for the download tests: no test touches the network.

``LocalServer(root)`` serves the files under ``root`` at ``server.url`` (which ends in
``/data/``, so files go in ``root / 'data'``) from a thread, and records the path of
every GET request in ``server.requests``. ``free_port()`` gives a port where nothing
listens, to stand for an unreachable server.
"""

from __future__ import annotations

import http.server
import socket
import threading
from pathlib import Path


class LocalServer:
    """http.server in a thread on 127.0.0.1, port 0; counts the GET requests per path."""

    def __init__(self, root: Path):
        self.requests: list[str] = []
        outer = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *a, **kw):
                super().__init__(*a, directory=str(root), **kw)

            def do_GET(self):
                outer.requests.append(self.path)
                super().do_GET()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        #: the server's root, and the address of ``root / 'data'``
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.url = self.base_url + "data/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,),
                                       daemon=True)
        self.thread.start()
        self.running = True

    def stop(self):
        if self.running:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.thread.join(timeout=5)
            self.running = False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
