"""A fake Telegram Bot API server (aiohttp) that drives a real bot through its real HTTP stack.

async with FakeBotApi() as api:
    app = ApplicationBuilder().token(api.token).base_url(api.base_url).build()
    ...  # start the bot polling
    sari = api.user(1001, first_name="Sari")
    await sari.send("/start")
    reply = await sari.next_message()
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from .methods import BotApiMethods, ChatLog
from .objects import ApiError
from .params import read_request
from .records import Call, Pending, Signal, UploadedFile
from .users import SimUser
from .webhook import Delivery, WebhookConfig, WebhookMixin, webhook_conflict

DEFAULT_TOKEN = "123456:TEST-token"
_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: injected failure",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request",
    429: "Too Many Requests: retry after {retry_after}",
    500: "Internal Server Error",
    502: "Bad Gateway",
}
_POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one "
    "bot instance is running"
)


@dataclass
class _Fault:
    kind: str  # "error" or "drop"
    error: ApiError | None = None
    after: bool = False


class FakeBotApi(BotApiMethods, WebhookMixin):
    """The fake Bot API server. Use `async with FakeBotApi() as api:` or `start()`/`stop()`.

    State worth reading in tests: `calls` (every request, as `Call`), `calls_for(method)`,
    `files` (file_id -> UploadedFile), `commands`, `webhook`, `deliveries` (webhook POSTs),
    `callback_queries` (id -> {"answered", "answer"}).
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        bot_username: str = "matang_test_bot",
        bot_name: str = "Matang Test Bot",
        strict_callbacks: bool = True,
        quiet: float = 0.05,
    ) -> None:
        self.token = token
        self.host = host
        self._port = port
        bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 123456
        self.bot_user: dict[str, Any] = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.strict_callbacks = strict_callbacks
        self.quiet = quiet
        self.calls: list[Call] = []
        self.files: dict[str, UploadedFile] = {}
        self.file_paths: dict[str, str] = {}  # file_path (from getFile) -> file_id
        self.download_limit = 20 * 1024 * 1024  # the Bot API's getFile limit for bots
        self.callback_queries: dict[str, dict[str, Any]] = {}
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self.users: dict[int, SimUser] = {}
        self.webhook: WebhookConfig | None = None
        self.deliveries: list[Delivery] = []
        self.webhook_failed: list[dict[str, Any]] = []
        # What a client adds to "busy": the server cannot see a fetched update being handled.
        self._client_busy: list[Callable[[], str | None]] = []
        self.webhook_attempts = 3
        self.webhook_retry_delay = 0.05
        self._chats: dict[int, ChatLog] = {}
        self._pending: list[Pending] = []
        self._update_ids = itertools.count(1)
        self._faults: dict[str, deque[_Fault]] = {}
        self._delays: dict[str, float] = {}
        self._methods: dict[str, tuple[str, Callable[..., Any]]] = {}
        for name in dir(self):
            if name.startswith("api_"):
                self._methods[name[4:].lower()] = (name[4:], getattr(self, name))
        self._updates_signal = Signal()
        self._changed = Signal()
        self._poll_generation = 0
        self._in_flight = 0
        self._waiting_polls = 0
        self._delivering = 0
        self._last_activity = time.perf_counter()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._webhook_task: asyncio.Task[None] | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> FakeBotApi:
        """Listen on host:port (port 0 picks a free one) and return self."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.*}", self._serve_file)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self._port)
        await site.start()
        self._port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._session = aiohttp.ClientSession()
        self._closing = False
        return self

    async def stop(self) -> None:
        """Wake every long poll, stop webhook deliveries and close the listener."""
        self._closing = True
        self._updates_signal.notify()
        self._changed.notify()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            self._webhook_task = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> FakeBotApi:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        """The TCP port the server listens on (known after `start()`)."""
        return self._port

    @property
    def base_url(self) -> str:
        """For `ApplicationBuilder().base_url(...)`, e.g. "http://127.0.0.1:PORT/bot"."""
        return f"http://{self.host}:{self._port}/bot"

    @property
    def base_file_url(self) -> str:
        """For `ApplicationBuilder().base_file_url(...)`."""
        return f"http://{self.host}:{self._port}/file/bot"

    # -- requests -----------------------------------------------------------------------------

    def _touch(self) -> None:
        self._last_activity = time.perf_counter()
        self._changed.notify()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self._in_flight += 1
        self._touch()
        try:
            return await self._dispatch(request)
        finally:
            self._in_flight -= 1
            self._touch()

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["method"]
        try:
            params, files = await read_request(request)
        except ValueError:
            params, files = {}, {}
            error: ApiError | None = ApiError(400, "Bad Request: can't parse JSON body")
        else:
            error = None
        entry = self._methods.get(name.lower())
        call = Call(entry[0] if entry else name, params, files,
                    content_type=request.content_type if request.body_exists else "",
                    headers=dict(request.headers))
        self.calls.append(call)
        if request.match_info["token"] != self.token:
            error = ApiError(401, "Unauthorized")
        elif entry is None:
            error = ApiError(404, "Not Found")
        if error is not None:
            return self._error(call, error)
        method, func = entry  # type: ignore[misc]
        fault = self._take_fault(method)
        delay = self._delays.get(method.lower(), 0.0)
        if delay:
            await asyncio.sleep(delay)
        try:
            if fault and fault.kind == "error":
                raise fault.error  # type: ignore[misc]
            if fault and fault.kind == "drop" and not fault.after:
                return self._drop(request, call)
            result = func(params, files)
            if inspect.isawaitable(result):
                result = await result
        except ApiError as exc:
            return self._error(call, exc)
        call.status, call.result = 200, result
        if fault and fault.kind == "drop":
            return self._drop(request, call)
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _error(call: Call, error: ApiError) -> web.Response:
        call.status, call.result = error.code, error.description
        return web.json_response(error.payload(), status=error.code)

    @staticmethod
    def _drop(request: web.Request, call: Call) -> web.Response:
        call.status, call.result = 0, "dropped"
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=500)  # never reaches the client

    async def _serve_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(ApiError(401, "Unauthorized").payload(), status=401)
        # Served by the path getFile gave, as the Bot API does (older tests fetch files/<id>/…).
        path = request.match_info["path"]
        file_id = self.file_paths.get(path)
        if file_id is None:
            parts = path.split("/")
            file_id = parts[1] if len(parts) > 1 and parts[0] == "files" else None
        stored = self.files.get(file_id) if file_id is not None else None
        if stored is None:
            return web.json_response(ApiError(404, "Not Found").payload(), status=404)
        return web.Response(
            body=stored.data, content_type=stored.content_type or "application/octet-stream"
        )

    # -- updates ------------------------------------------------------------------------------

    async def api_getUpdates(self, p: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        """getUpdates: confirm below `offset`, return up to `limit`, long-poll `timeout` s."""
        if self.webhook is not None:
            raise webhook_conflict()
        self._poll_generation += 1
        generation = self._poll_generation
        self._updates_signal.notify()  # an older poll still waiting now ends with 409
        offset = p.get("offset")
        if isinstance(offset, int) and offset > 0:
            self._pending = [
                e
                for e in self._pending
                if not (e.update_id < offset and (e.delivered or not e.force))
            ]
        limit = min(max(int(p.get("limit") or 100), 1), 100)
        deadline = time.monotonic() + float(p.get("timeout") or 0)
        while True:
            ready = sorted(
                (e for e in self._pending if not e.in_delivery), key=lambda e: not e.force
            )[:limit]
            if ready:
                for e in ready:
                    e.delivered = True
                return [e.update for e in ready]
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._closing:
                return []
            self._waiting_polls += 1
            self._changed.notify()  # a waiting poll no longer counts as busy
            try:
                await self._updates_signal.wait(remaining)
            finally:
                self._waiting_polls -= 1
            if generation != self._poll_generation:
                raise ApiError(409, _POLL_CONFLICT)
            if self.webhook is not None:
                raise webhook_conflict()

    def _add(self, update: dict[str, Any], force: bool) -> dict[str, Any]:
        uid = update.get("update_id")
        self._pending.append(Pending(update, uid if isinstance(uid, int) else -1, force))
        self._updates_signal.notify()
        self._touch()
        return update

    async def enqueue(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update (without update_id; a fresh increasing one is added) and return it."""
        body = {k: v for k, v in update.items() if k != "update_id"}
        return self._add({"update_id": next(self._update_ids), **body}, force=False)

    async def enqueue_raw(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue a hand-made (possibly malformed) update as is; it is handed out once even if
        its update_id is old. An update_id is added only when missing."""
        if "update_id" not in update:
            update = {"update_id": next(self._update_ids), **update}
        return self._add(update, force=True)

    async def redeliver(self, update: dict[str, Any]) -> dict[str, Any]:
        """Deliver an already delivered update again, same update_id (as after a lost confirm)."""
        return self._add(update, force=True)

    # -- users and chats ----------------------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str = "Sari",
        language_code: str | None = "id",
        username: str | None = None,
        last_name: str | None = None,
    ) -> SimUser:
        """The simulated user `user_id` (created on first call; later calls return the same)."""
        if user_id not in self.users:
            self.users[user_id] = SimUser(
                self, user_id, first_name, language_code, username, last_name
            )
        return self.users[user_id]

    def store_file(
        self,
        file_id: str,
        data: bytes,
        filename: str | None = None,
        content_type: str | None = None,
        unique_id: str | None = None,
    ) -> None:
        """Make `data` downloadable as `file_id` (getFile + base_file_url)."""
        self.files[file_id] = UploadedFile(data, filename, content_type, unique_id)

    def calls_for(self, method: str) -> list[Call]:
        """The recorded calls of one method (case-insensitive), oldest first."""
        return [c for c in self.calls if c.method.lower() == method.lower()]

    def describe(self, chat_id: int | None = None, why: str = "") -> str:
        """A short account of a chat and the latest calls, for failure messages."""
        lines = [why] if why else []
        if chat_id is not None:
            msgs = [m for m in self.chat_log(chat_id).messages.values()][-5:]
            lines.append(f"chat {chat_id}, latest bot messages: {msgs}")
        recent = [c for c in self.calls if c.method != "getUpdates"][-8:]
        lines.append(
            "latest calls: "
            + ", ".join(
                f"{c.method}->{c.status}" + ("" if c.ok else f" {c.result!r}") for c in recent
            )
        )
        lines.append(f"undelivered updates: {sum(not e.delivered for e in self._pending)}")
        return "; ".join(lines)

    # -- faults -------------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        error_code: int = 400,
        description: str | None = None,
        retry_after: float | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls of `method` ("*": any but getUpdates) with an error.

        429 carries `parameters.retry_after` (default 1 s).
        """
        if error_code == 429 and retry_after is None:
            retry_after = 1
        text = description or _DEFAULT_DESCRIPTIONS.get(error_code, f"Error {error_code}")
        params = {"retry_after": retry_after} if retry_after is not None else None
        error = ApiError(error_code, text.format(retry_after=retry_after), params)
        self._faults.setdefault(method.lower(), deque()).extend(
            _Fault("error", error) for _ in range(times)
        )

    def drop_next(self, method: str, times: int = 1, after_processing: bool = False) -> None:
        """Abort the connection of the next `times` calls of `method` without any response.

        With `after_processing=True` the call takes effect first (the message is sent, only the
        answer is lost), the hardest case for a client that retries.
        """
        self._faults.setdefault(method.lower(), deque()).extend(
            _Fault("drop", after=after_processing) for _ in range(times)
        )

    def delay(self, method: str, seconds: float | None) -> None:
        """Answer every call of `method` `seconds` late (0 or None: no delay)."""
        if seconds:
            self._delays[method.lower()] = seconds
        else:
            self._delays.pop(method.lower(), None)

    def clear_faults(self) -> None:
        """Forget every queued failure, drop and delay."""
        self._faults.clear()
        self._delays.clear()

    def _take_fault(self, method: str) -> _Fault | None:
        queue = self._faults.get(method.lower())
        if not queue and method != "getUpdates":
            queue = self._faults.get("*")
        return queue.popleft() if queue else None

    # -- waiting ------------------------------------------------------------------------------

    async def changed(self, timeout: float | None = None) -> bool:
        """Wait until anything happens (a request, an update, a message); False on timeout."""
        return await self._changed.wait(timeout)

    async def wait_until(self, condition: Callable[[], bool], timeout: float = 5) -> None:
        """Wait until `condition()` holds, re-checking whenever something happens."""
        deadline = time.monotonic() + timeout
        while not condition():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(self.describe(None, f"condition not met in {timeout}s"))
            await self._changed.wait(remaining)

    def busy(self) -> str | None:
        """Why the server is not idle (None when it is): unfetched updates, open requests
        other than a waiting long poll, webhook deliveries, or a watched client still at work
        (see :meth:`watch_client`)."""
        reason = self._server_busy()
        if reason:
            return reason
        for check in self._client_busy:
            reason = check()
            if reason:
                return reason
        return None

    def _server_busy(self) -> str | None:
        unfetched = sum(1 for e in self._pending if not e.delivered)
        if unfetched:
            return f"{unfetched} updates not fetched"
        active = self._in_flight - self._waiting_polls
        if active > 0:
            return f"{active} requests in flight"
        if self._delivering:
            return f"{self._delivering} webhook deliveries in flight"
        return None

    def watch_client(self, busy: Callable[[], str | None]) -> Callable[[], None]:
        """Count ``busy()`` (a reason, or None when quiet) in :meth:`busy`, so :meth:`wait_idle`
        also waits for a client still handling what it fetched. Returns a function that stops it."""
        self._client_busy.append(busy)
        return lambda: self._client_busy.remove(busy)

    async def wait_idle(self, timeout: float = 5, quiet: float | None = None) -> None:
        """Wait until every update was fetched, nothing is in flight, and nothing happened for
        `quiet` seconds (default `self.quiet`, 50 ms). TimeoutError says what is still busy."""
        quiet = self.quiet if quiet is None else quiet
        deadline = time.monotonic() + timeout
        while True:
            reason = self.busy()
            remaining = deadline - time.monotonic()
            if reason is None:
                left = self._last_activity + quiet - time.perf_counter()
                if left <= 0:
                    return
                wait = min(left, remaining)
            else:
                # A client's work ends without a request the server would notice: look again soon.
                wait = remaining if self._server_busy() else min(remaining, 0.005)
            if remaining <= 0:
                raise TimeoutError(self.describe(None, f"not idle after {timeout}s: {reason}"))
            await self._changed.wait(wait)

    def __repr__(self) -> str:
        return f"<FakeBotApi {self.base_url} calls={len(self.calls)}>"
