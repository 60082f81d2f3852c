"""An asyncio MLLP listener: frames in, one acknowledgement out per frame, in order.

Each connection is read as a byte stream through ``MllpDecoder``; every complete frame is
handed to ``Hl7Ingestor.handle_batch`` on one dedicated writer thread (so SQLite sees a single
writer and messages of one connection are committed in the order they were sent). Frames
that arrive in the same read are committed in one transaction; their acknowledgements are
written only after ``handle_batch`` returns, i.e. after the commit.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import threading
from concurrent.futures import ThreadPoolExecutor

from careshift.adapters.hl7v2.framing import MllpDecoder, frame
from careshift.adapters.hl7v2.ingest import Hl7Ingestor

log = logging.getLogger("careshift.hl7v2.mllp")


def tls_context(cert: str, key: str) -> ssl.SSLContext:
    """A server TLS context (TLS 1.2 or newer) from a PEM certificate chain and key."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    return context


class MllpListener:
    """Serves MLLP on ``host:port`` (``port=0`` picks a free port, see ``self.port``)."""

    def __init__(
        self,
        ingestor: Hl7Ingestor,
        *,
        host: str = "127.0.0.1",
        port: int = 2575,
        tls: ssl.SSLContext | None = None,
        max_bytes: int = 16 * 1024 * 1024,
    ) -> None:
        self.ingestor = ingestor
        self.host = host
        self.port = port
        self.tls = tls
        self.max_bytes = max_bytes
        self.frames = 0
        self._server: asyncio.Server | None = None
        self._writer_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mllp-writer")

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port, ssl=self.tls, limit=1 << 20)
        self.port = self._server.sockets[0].getsockname()[1]

    async def serve_forever(self) -> None:
        if self._server is None:
            await self.start()
        assert self._server is not None
        async with self._server:
            await self._server.serve_forever()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        self._writer_thread.shutdown(wait=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        loop = asyncio.get_running_loop()
        decoder = MllpDecoder(self.max_bytes)
        try:
            while data := await reader.read(1 << 16):
                blocks = decoder.feed(data)
                if not blocks:
                    continue
                self.frames += len(blocks)
                # Frames that arrived together are committed together (group commit), then answered in order.
                outcomes = await loop.run_in_executor(self._writer_thread, self.ingestor.handle_batch, blocks)
                for outcome in outcomes:
                    if outcome.ack is not None:
                        writer.write(frame(outcome.ack))
                await writer.drain()
        except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError) as exc:
            log.info("mllp connection dropped: %s", type(exc).__name__)
        except Exception as exc:  # never let one connection take the listener down; the sender resends
            log.error("mllp connection failed: %s", type(exc).__name__)
        finally:
            if decoder.pending:
                log.warning("mllp connection closed inside a frame (%d bytes unacknowledged)", decoder.pending)
            writer.close()
            try:
                await writer.wait_closed()
            except (ConnectionError, ssl.SSLError):
                pass


class ListenerThread:
    """An ``MllpListener`` on its own event loop in a background thread (``careshift serve
    --mllp-port``), so the API's server and the listener do not share a loop."""

    def __init__(self, listener: MllpListener) -> None:
        self.listener = listener
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="careshift-mllp", daemon=True)

    @property
    def port(self) -> int:
        return self.listener.port

    def start(self, timeout: float = 30.0) -> ListenerThread:
        """Start and wait until the socket is bound (raises what binding raised)."""
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError(f"the MLLP listener did not start within {timeout:.0f} s")
        if self._failure is not None:
            raise self._failure
        return self

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self.listener.start())
        except BaseException as exc:  # handed to start(), which raises it in the caller
            self._failure = exc
            self._loop.run_until_complete(self.listener.close())
            self._loop.close()
            self._ready.set()
            return
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self.listener.close())
        self._loop.close()

    def stop(self) -> None:
        """Stop accepting, finish the writer thread's commits, and join."""
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=30)
