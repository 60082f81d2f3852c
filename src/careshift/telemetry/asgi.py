"""What the ASGI middlewares that observe responses (metrics, traces) share."""

from __future__ import annotations

from starlette.types import Message, Send


class ResponseStatus:
    """An ASGI ``send`` that passes every message on and remembers the response status
    (500 until a response starts: a request that raised before answering counts as one)."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.code = 500

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.code = int(message["status"])
        await self._send(message)
