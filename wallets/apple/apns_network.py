"""httpcore's network layer for the APNs client, on asyncio's own transports and TLS.

httpcore's default backend on asyncio is anyio: a socket stream with anyio's TLS stream on top
(``ssl.MemoryBIO`` driven from Python, with anyio's cancel-scope checkpoints around every read
and write). This backend gives httpcore (and its HTTP/2 connection, h2) the same interface on an
``asyncio.Protocol`` whose TLS is the event loop's (``loop.start_tls``), and it *corks* writes:
httpcore writes each HTTP/2 frame batch of each request separately (a request's HEADERS, then
its DATA), so a hundred concurrent pushes meant a few hundred TLS records and ``send()`` system
calls; here the writes of one short moment go out as one record and one ``send()``.

Measured on the development machine (5,000 pushes, 100 in flight, one connection, shared
2 cores), httpcore's pool on anyio: ~0.72 ms of client CPU per push and ~2.5 ``send()`` per
push; this backend with writes flushed on the next loop turn: ~0.53 ms; flushed after
``FLUSH_DELAY`` (1 ms): ~0.48 ms and 0.7 ``send()`` per push, and a cheaper stand-in too (fewer,
larger reads on its side).
"""

from __future__ import annotations

import asyncio
import collections
import ssl
from typing import Any

import httpcore

# How long written bytes may wait for more to join them. A push's round trip is tens of
# milliseconds when a hundred are in flight: one more millisecond costs nothing, and it is
# what lets the writes of many requests share a TLS record and a system call.
FLUSH_DELAY = 0.001


class _Protocol(asyncio.Protocol):
    """What the transport delivers: received chunks, end of stream, write back-pressure."""

    def __init__(self) -> None:
        self.chunks: collections.deque[bytes] = collections.deque()
        self.eof = False
        self.error: Exception | None = None
        self.readable: asyncio.Future[None] | None = None  # set while a read waits
        self.drained: asyncio.Future[None] | None = None  # set while writing is paused

    def _wake_reader(self) -> None:
        if self.readable is not None and not self.readable.done():
            self.readable.set_result(None)

    def data_received(self, data: bytes) -> None:
        self.chunks.append(data)
        self._wake_reader()

    def eof_received(self) -> bool:
        self.eof = True
        self._wake_reader()
        return False  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = True
        self.error = exc
        self._wake_reader()
        self.resume_writing()

    def pause_writing(self) -> None:
        self.drained = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        if self.drained is not None and not self.drained.done():
            self.drained.set_result(None)
        self.drained = None


class _Stream(httpcore.AsyncNetworkStream):
    def __init__(self, transport: asyncio.Transport, protocol: _Protocol) -> None:
        self._transport = transport
        self._protocol = protocol
        self._loop = asyncio.get_running_loop()
        self._unsent: list[bytes] = []

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        protocol = self._protocol
        if not protocol.chunks and not protocol.eof:
            protocol.readable = self._loop.create_future()
            try:
                async with asyncio.timeout(timeout):
                    await protocol.readable
            except TimeoutError:
                raise httpcore.ReadTimeout("no data from APNs in time") from None
            finally:
                protocol.readable = None
        if protocol.chunks:
            chunks = protocol.chunks
            data = chunks.popleft() if len(chunks) == 1 else b"".join(chunks)
            chunks.clear()
            if len(data) > max_bytes:
                chunks.append(data[max_bytes:])
                data = data[:max_bytes]
            return data
        if protocol.error is not None:
            raise httpcore.ReadError(str(protocol.error))
        return b""  # the peer closed the connection: httpcore says "Server disconnected"

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        if self._transport.is_closing():
            raise httpcore.WriteError("the connection to APNs is closed")
        if not self._unsent:
            self._loop.call_later(FLUSH_DELAY, self._flush)
        self._unsent.append(buffer)
        if self._protocol.drained is not None:  # the kernel's and the transport's buffers are full
            try:
                async with asyncio.timeout(timeout):
                    await self._protocol.drained
            except TimeoutError:
                raise httpcore.WriteTimeout("APNs does not read what we send") from None

    def _flush(self) -> None:
        data = b"".join(self._unsent)
        self._unsent.clear()
        if not self._transport.is_closing():
            self._transport.write(data)

    async def aclose(self) -> None:
        if self._unsent:
            self._flush()
        self._transport.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            transport = await self._loop.start_tls(
                self._transport,
                self._protocol,
                ssl_context,
                server_hostname=server_hostname,
                ssl_handshake_timeout=timeout,
            )
        except TimeoutError:
            self._transport.close()
            raise httpcore.ConnectTimeout("the TLS handshake with APNs timed out") from None
        except (OSError, ssl.SSLError) as error:
            self._transport.close()
            raise httpcore.ConnectError(str(error)) from error
        assert transport is not None
        return _Stream(transport, self._protocol)  # type: ignore[arg-type]

    def get_extra_info(self, info: str) -> Any:
        if info == "ssl_object":  # httpcore reads the ALPN protocol from it
            return self._transport.get_extra_info("ssl_object")
        if info == "client_addr":
            return self._transport.get_extra_info("sockname")
        if info == "server_addr":
            return self._transport.get_extra_info("peername")
        if info == "socket":
            return self._transport.get_extra_info("socket")
        if info == "is_readable":  # an idle connection with something to read has been closed
            return bool(self._protocol.chunks) or self._protocol.eof
        return None


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """Plain asyncio TCP connections; httpcore then calls ``start_tls`` on them."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport, protocol = await loop.create_connection(
                    _Protocol,
                    host,
                    port,
                    local_addr=(local_address, 0) if local_address else None,
                )
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"no connection to {host}:{port} in time") from None
        except OSError as error:
            raise httpcore.ConnectError(str(error)) from error
        return _Stream(transport, protocol)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
