"""The gate's side of the device API, in the standard library only (urllib): a small PC
at a gate needs no extra packages to talk to the server."""

import json
import urllib.error
import urllib.request


class Offline(Exception):
    """The server could not be reached (or did not answer in time)."""


class Refused(Exception):
    """The server answered with an error (a revoked token: 401)."""

    def __init__(self, status: int, body: str):
        super().__init__(f"HTTP {status}: {body[:200]}")
        self.status = status


class GateClient:
    def __init__(self, server: str, token: str, *, timeout: float = 3.0):
        self.base = server.rstrip("/") + "/api/v1/gates/"
        self.token = token
        self.timeout = timeout

    def call(self, path: str, body: dict | None = None, *, timeout: float | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.base + path,
            data=data,
            method="POST" if body is not None else "GET",
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout or self.timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise Refused(error.code, error.read().decode(errors="replace")) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as error:
            raise Offline(str(error)) from None

    def verify(self, *, token: str, direction: str, nonce: str) -> dict:
        return self.call("verify", {"token": token, "direction": direction, "nonce": nonce})

    def snapshot(self) -> dict:
        return self.call("snapshot", timeout=30)

    def upload(self, events: list[dict]) -> dict:
        return self.call("events", {"events": events}, timeout=30)

    def heartbeat(self, **data) -> dict:
        return self.call("heartbeat", data)
