"""A real HTTP receiver on 127.0.0.1 (a thread) for webhook tests."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    """Answers each request with `decide(headers, body)` when set, else the next scripted
    (status, headers); 200 when done."""

    def __init__(self) -> None:
        self.script: list[tuple[int, dict[str, str]]] = []
        self.decide: Callable[[dict[str, str], bytes], tuple[int, dict[str, str]]] | None = None
        self.lock = threading.Lock()
        self.requests: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                seen = {k.lower(): v for k, v in self.headers.items()}
                with receiver.lock:
                    receiver.requests.append((seen, body))
                    if receiver.decide is not None:
                        status, headers = receiver.decide(seen, body)
                    else:
                        status, headers = receiver.script.pop(0) if receiver.script else (200, {})
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def bodies(self) -> list[dict]:
        with self.lock:
            return [json.loads(body) for _, body in self.requests]
