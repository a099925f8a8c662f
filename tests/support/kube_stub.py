"""A loopback stand-in for the Kubernetes API discovery endpoints.

`helm install`/`upgrade` ask the cluster for its version and API groups before
rendering, even with `--dry-run=client` (helm 3 always; helm 4 for an existing
release). Answering just those read-only discovery calls lets the real helm run
its upgrade path offline; with the memory storage driver helm's own Kubernetes
client is a printing fake, so nothing else is requested. Every other path is 404.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

KUBE_VERSION = {"major": "1", "minor": "31", "gitVersion": "v1.31.0", "platform": "linux/amd64"}

_ANSWERS: dict[str, dict[str, Any]] = {
    "/version": KUBE_VERSION,
    "/api": {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []},
    "/api/v1": {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "v1", "resources": []},
    "/apis": {"kind": "APIGroupList", "apiVersion": "v1", "groups": []},
}


class _StubServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _DiscoveryHandler)
        self.requested: list[str] = []


class _DiscoveryHandler(BaseHTTPRequestHandler):
    server: _StubServer

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        self.server.requested.append(path)
        body = _ANSWERS.get(path)
        if body is None:
            self.send_error(404)
            return
        payload = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        # Quiet: pytest shows our stderr on failure, and request lines are noise there.
        return


class KubeStub:
    """A running stub: `url` goes into a kubeconfig, `requested` records the paths asked for."""

    def __init__(self, server: _StubServer) -> None:
        self._server = server

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def requested(self) -> list[str]:
        return list(self._server.requested)


@contextlib.contextmanager
def kube_stub() -> Iterator[KubeStub]:
    """Serve the discovery stub on an ephemeral loopback port for the duration of the block."""
    server = _StubServer()
    thread = threading.Thread(target=server.serve_forever, name="kube-stub", daemon=True)
    thread.start()
    try:
        yield KubeStub(server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
