"""The HTTP client under every Bot API call: aiohttp by default, the library's httpx on request.

python-telegram-bot lets a bot bring its own HTTP client through its public
``telegram.request.BaseRequest`` interface. Its default, httpx, costs about three times the CPU of
aiohttp per call on this kind of machine (request building, response handling and connection-pool
bookkeeping; see ``python -m benchmarks telegram``), and a bot makes two or three calls per answer.
:class:`AiohttpRequest` is that interface on aiohttp: JSON bodies (multipart for uploads, as the
library builds them), file downloads, the library's timeouts and errors, a bounded pool of kept-alive
connections, an optional HTTP(S) proxy.

``MATANG_HTTP_CLIENT=httpx`` keeps the library's own ``HTTPXRequest`` (for HTTP/2 or a SOCKS proxy).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any
from urllib.parse import urlencode

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

log = logging.getLogger("bot.telegram")

# The library's own defaults (HTTPXRequest), which Matang has always used.
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 5.0
WRITE_TIMEOUT = 5.0
POOL_TIMEOUT = 1.0
MEDIA_WRITE_TIMEOUT = 20.0
KEEPALIVE_SECONDS = 30.0
"""How long an idle connection is kept open for the next call (Telegram keeps them longer)."""


def _given(value: Any, default: float | None) -> float | None:
    return default if value is BaseRequest.DEFAULT_NONE else value


FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json"}


def encoded_fields(request_data: RequestData) -> tuple[bytes, dict[str, str]]:
    """The body of a call without files, and its content type.

    JSON, which the Bot API takes for every call but uploads: ``json.dumps`` of the library's
    parameters is written in C, where form-encoding them (the library's ``json_parameters``, then
    ``urlencode``, both in Python) was a sixth of an answer's HTTP cost (42 against 6 µs for a
    question with its buttons). Parameters JSON cannot hold (none the library makes today) go as
    the library's own client sends them: form fields.
    """
    try:
        return json.dumps(request_data.parameters).encode("ascii"), JSON
    except (TypeError, ValueError):
        return urlencode(request_data.json_parameters).encode("ascii"), FORM


class AiohttpRequest(BaseRequest):
    """python-telegram-bot's HTTP interface on one ``aiohttp.ClientSession``.

    ``connection_pool_size`` bounds the open connections (idle ones are kept alive for
    :data:`KEEPALIVE_SECONDS`); a call that finds them all busy waits up to the pool timeout.
    Timeouts mean what they mean to the library: ``connect`` to open a connection, ``pool`` to get
    one from the pool, ``read`` between bytes of the answer, ``write`` to send the request (for
    uploads ``media_write_timeout``). aiohttp has no write timeout of its own, so the write time is
    bounded together with the others: once it has a connection, a call may take at most the sum of
    connect, write and read. A timeout raises
    ``telegram.error.TimedOut``, any other transport failure ``telegram.error.NetworkError``.
    ``proxy``: an ``http://`` or ``https://`` proxy URL (credentials may be in it) every call
    goes through.
    """

    __slots__ = ("_connect", "_media_write", "_pool", "_pool_size", "_proxy", "_read", "_session", "_slots",
                 "_write")

    def __init__(self, connection_pool_size: int = 32, *, read_timeout: float | None = READ_TIMEOUT,
                 write_timeout: float | None = WRITE_TIMEOUT, connect_timeout: float | None = CONNECT_TIMEOUT,
                 pool_timeout: float | None = POOL_TIMEOUT, media_write_timeout: float | None = MEDIA_WRITE_TIMEOUT,
                 proxy: str | None = None) -> None:
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be at least 1")
        if proxy and not proxy.lower().startswith(("http://", "https://")):
            raise ValueError("the proxy must be an http:// or https:// URL (for SOCKS use MATANG_HTTP_CLIENT=httpx)")
        self._pool_size = connection_pool_size
        self._read, self._write, self._connect = read_timeout, write_timeout, connect_timeout
        self._pool, self._media_write = pool_timeout, media_write_timeout
        self._proxy = proxy or None
        self._session: aiohttp.ClientSession | None = None
        # aiohttp counts the wait for a free connection as connecting; the library's pool timeout
        # is its own, so the pool is bounded here and aiohttp never has to wait.
        self._slots = asyncio.Semaphore(connection_pool_size)

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout (the library adds it to a long poll's own timeout)."""
        return self._read

    async def initialize(self) -> None:
        """Open the session (inside the running event loop, as aiohttp requires)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, keepalive_timeout=KEEPALIVE_SECONDS)
            # No cookies (the Bot API sets none) and no environment proxies: only MATANG_PROXY_URL.
            self._session = aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar(),
                                                  trust_env=False, headers={"User-Agent": self.USER_AGENT})

    async def shutdown(self) -> None:
        """Close every connection; no "unclosed session" warning is left behind."""
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()
            # Lets the transports' close callbacks run before the loop can end (aiohttp's advice).
            await asyncio.sleep(0)

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: Any = BaseRequest.DEFAULT_NONE, write_timeout: Any = BaseRequest.DEFAULT_NONE,
                         connect_timeout: Any = BaseRequest.DEFAULT_NONE,
                         pool_timeout: Any = BaseRequest.DEFAULT_NONE) -> tuple[int, bytes]:
        """See :meth:`telegram.request.BaseRequest.do_request`."""
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data is not None and request_data.contains_files else None
        read = _given(read_timeout, self._read)
        write = _given(write_timeout, self._media_write if files else self._write)
        connect = _given(connect_timeout, self._connect)
        pool = _given(pool_timeout, self._pool)
        parts = (read, write, connect)
        timeout = aiohttp.ClientTimeout(total=None if None in parts else sum(parts),  # type: ignore[arg-type]
                                        connect=connect, sock_connect=connect, sock_read=read)
        body: Any = None
        headers = None
        if request_data is not None:
            if files:
                form = aiohttp.FormData(quote_fields=False)
                for name, value in request_data.json_parameters.items():
                    form.add_field(name, value)
                for name, upload in files.items():
                    filename, content, *mime = upload
                    form.add_field(name, content, filename=filename,
                                   content_type=mime[0] if mime else "application/octet-stream")
                body = form
            elif request_data.parameters:
                body, headers = encoded_fields(request_data)
        if self._slots.locked():
            try:
                async with asyncio.timeout(pool):
                    await self._slots.acquire()
            except TimeoutError as exc:
                raise TimedOut("Pool timeout: All connections in the connection pool are occupied. Request was "
                               "*not* sent to Telegram. Consider adjusting the connection pool size or the pool "
                               "timeout.") from exc
        else:
            await self._slots.acquire()  # a free slot: taken at once, without yielding
        try:
            async with session.request(method, url, data=body, headers=headers, timeout=timeout, proxy=self._proxy,
                                       allow_redirects=False) as response:
                return response.status, await response.read()
        except TimeoutError as exc:  # asyncio's and aiohttp's timeouts alike
            raise TimedOut(f"Timed out: {type(exc).__name__}") from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc
        finally:
            self._slots.release()


def make_request(client: str, connection_pool_size: int, proxy: str | None = None) -> BaseRequest:
    """The HTTP client named by ``MATANG_HTTP_CLIENT`` (``aiohttp`` or ``httpx``), with the
    library's default timeouts, ``connection_pool_size`` connections at most and ``proxy``.

    A SOCKS proxy needs httpx; asked of aiohttp, it is a clear ``ValueError``.
    """
    if client == "httpx":
        from telegram.request import HTTPXRequest

        return HTTPXRequest(connection_pool_size=connection_pool_size, proxy=proxy)
    if client != "aiohttp":
        raise ValueError(f"unknown HTTP client {client!r}: use aiohttp or httpx")
    return AiohttpRequest(connection_pool_size, proxy=proxy)
