"""The server's access log, written by the application rather than by the ASGI server: one line
per HTTP request and per websocket event, sent to the `casework.access` logger, so it passes the
same personal-data filter as every other log line (casework.http.redaction) and looks the same
whichever server runs casework. Paths lose their query string and their secret tokens (a
parent's link, a calendar feed) before the line is made (`access_line`).

The production server (uvicorn, see bin/serve) runs with its own access log off.
"""

import logging

from casework.http.redaction import access_line

access_log = logging.getLogger("casework.access")


def _client(scope) -> str:
    client = scope.get("client")
    return f"{client[0]}:{client[1]}" if client else "-"


def _log(protocol: str, action: str, details: dict) -> None:
    line = access_line(protocol, action, details)
    if line is not None:
        access_log.info(line)


class AccessLogMiddleware:
    """ASGI middleware around the whole application (HTTP and websockets)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _http(self, scope, receive, send):
        response = {"status": None, "size": 0}

        async def sending(message):
            if message["type"] == "http.response.start":
                response["status"] = message["status"]
            elif message["type"] == "http.response.body":
                response["size"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            _log("http", "complete", {"client": _client(scope), "method": scope.get("method"),
                                      "path": scope.get("path", ""), "status": response["status"] or 500,
                                      "size": response["size"]})

    async def _websocket(self, scope, receive, send):
        details = {"client": _client(scope), "path": scope.get("path", "")}
        state = {"accepted": False, "closed": False}
        _log("websocket", "connecting", details)

        async def sending(message):
            if message["type"] == "websocket.accept":
                state["accepted"] = True
                _log("websocket", "connected", details)
            elif message["type"] == "websocket.close" and not state["closed"]:
                state["closed"] = True
                _log("websocket", "disconnected" if state["accepted"] else "rejected", details)
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            if not state["closed"]:
                _log("websocket", "disconnected" if state["accepted"] else "rejected", details)
