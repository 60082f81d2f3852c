"""A small blocking MLLP client: send one message, wait for its acknowledgement.

Used by tests and benchmarks, and handy for an operator checking a listener.
"""

from __future__ import annotations

import socket
import ssl

from careshift.adapters.hl7v2.framing import MllpDecoder, frame
from careshift.domain.errors import ServiceUnavailableError


class MllpClient:
    """One MLLP connection; ``send(message)`` returns the acknowledgement's bytes."""

    def __init__(self, host: str, port: int, *, timeout: float = 10.0, tls: ssl.SSLContext | None = None) -> None:
        try:
            raw = socket.create_connection((host, port), timeout=timeout)
        except OSError as exc:
            raise ServiceUnavailableError(f"cannot connect to MLLP listener {host}:{port} ({exc})") from exc
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._socket: socket.socket = tls.wrap_socket(raw, server_hostname=host) if tls else raw
        self._decoder = MllpDecoder()
        self._ready: list[bytes] = []

    def send(self, message: bytes) -> bytes:
        """Send ``message`` framed and block until one acknowledgement frame arrives."""
        self.write(message)
        return self.receive()

    def write(self, message: bytes) -> None:
        """Send ``message`` framed without waiting (pipelining; read the ACKs with ``receive``)."""
        self._socket.sendall(frame(message))

    def receive(self) -> bytes:
        """The next acknowledgement frame; ``ConnectionError`` if the peer closes first."""
        while not self._ready:
            data = self._socket.recv(1 << 16)
            if not data:
                raise ConnectionError("the MLLP listener closed the connection before acknowledging")
            self._ready.extend(block.payload for block in self._decoder.feed(data))
        return self._ready.pop(0)

    def close(self) -> None:
        self._socket.close()

    def __enter__(self) -> MllpClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _msa_field(ack: bytes, number: int) -> str:
    for segment in ack.split(b"\r"):
        if segment.startswith(b"MSA"):
            fields = segment.split(segment[3:4] or b"|")
            return fields[number].decode("ascii", errors="replace") if len(fields) > number else ""
    return ""


def ack_code(ack: bytes) -> str:
    """MSA-1 of an acknowledgement (AA, AE, AR, CA, CE, CR), or "" if it has no MSA."""
    return _msa_field(ack, 1)


def ack_control_id(ack: bytes) -> str:
    """MSA-2 of an acknowledgement: the control id of the message it answers."""
    return _msa_field(ack, 2)
