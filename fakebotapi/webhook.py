"""Webhook mode of the fake server: setWebhook, deliveries with retries, and a client helper."""

from __future__ import annotations

import asyncio
import inspect
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from .objects import ApiError, bad_request
from .records import Call, Pending, Signal, UploadedFile

_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


@dataclass
class WebhookConfig:
    """The webhook set by the bot, and how delivering to it went."""

    url: str
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class Delivery:
    """One POST of an update to the webhook: `status` is None when the connection failed."""

    update_id: Any
    attempt: int
    status: int | None
    error: str | None = None
    at: float = field(default_factory=time.time)


class WebhookMixin:
    """setWebhook / deleteWebhook / getWebhookInfo and the delivery loop; mixed into FakeBotApi.

    Updates enqueued while a webhook is set are POSTed to it as JSON (with the header
    `X-Telegram-Bot-Api-Secret-Token` when a secret was set), up to `max_connections` at a time,
    each tried `webhook_attempts` times with a short backoff before it is given up. A 2xx reply
    whose JSON body names a `method` is that method called, as Telegram does (its result is not
    reported to the bot); it is recorded as a `Call` with `in_webhook_reply=True`.
    """

    webhook: WebhookConfig | None
    deliveries: list[Delivery]
    webhook_failed: list[dict[str, Any]]
    webhook_attempts: int
    webhook_retry_delay: float
    _pending: list[Pending]
    _updates_signal: Signal
    _changed: Signal
    _session: aiohttp.ClientSession | None
    _webhook_task: asyncio.Task[None] | None
    _delivering: int
    _closing: bool

    calls: list[Call]
    _methods: dict[str, tuple[str, Any]]

    def _touch(self) -> None:  # defined by the server
        raise NotImplementedError

    async def _reply_call(self, body: bytes) -> None:
        """Carry out the method call a webhook reply carries, if any (errors are not reported)."""
        try:
            data = json.loads(body) if body.strip() else None
        except ValueError:
            return
        if not isinstance(data, dict) or not isinstance(data.get("method"), str):
            return
        params = {k: v for k, v in data.items() if k != "method"}
        entry = self._methods.get(data["method"].lower())
        call = Call(entry[0] if entry else data["method"], params, content_type="application/json",
                    in_webhook_reply=True)
        self.calls.append(call)
        if entry is None:
            call.status, call.result = 404, "Not Found"
            return
        try:
            result = entry[1](params, {})
            if inspect.isawaitable(result):
                result = await result
        except ApiError as exc:
            call.status, call.result = exc.code, exc.description
        else:
            call.status, call.result = 200, result

    async def api_setWebhook(self, p: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        """setWebhook: store url and secret_token and start delivering pending updates."""
        url = str(p.get("url") or "")
        if not url:
            return await self.api_deleteWebhook(p, files)
        if not url.startswith(("http://", "https://")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = p.get("secret_token")
        if secret is not None and not _SECRET.fullmatch(str(secret)):
            raise bad_request("bad webhook: secret token contains unallowed characters")
        self.webhook = WebhookConfig(
            url,
            str(secret) if secret is not None else None,
            int(p.get("max_connections") or 40),
            p.get("allowed_updates"),
        )
        if p.get("drop_pending_updates"):
            self._pending.clear()
        self._restart_webhook_loop()
        self._updates_signal.notify()  # a waiting getUpdates now ends with 409
        return True

    async def api_deleteWebhook(self, p: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        """deleteWebhook: back to getUpdates; drop_pending_updates clears the queue."""
        self.webhook = None
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            self._webhook_task = None
        if p.get("drop_pending_updates"):
            self._pending.clear()
        return True

    async def api_getWebhookInfo(self, p: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        """getWebhookInfo: url ("" when polling), pending_update_count, last error."""
        cfg = self.webhook
        info: dict[str, Any] = {
            "url": cfg.url if cfg else "",
            "has_custom_certificate": False,
            "pending_update_count": sum(1 for e in self._pending if not e.delivered),
        }
        if cfg:
            info["max_connections"] = cfg.max_connections
            if cfg.allowed_updates:
                info["allowed_updates"] = cfg.allowed_updates
            if cfg.last_error_date:
                info["last_error_date"] = cfg.last_error_date
                info["last_error_message"] = cfg.last_error_message
        return info

    def _restart_webhook_loop(self) -> None:
        if self._webhook_task is not None:
            self._webhook_task.cancel()
        for entry in self._pending:
            entry.in_delivery = False
        self._webhook_task = asyncio.create_task(self._webhook_loop())

    async def _webhook_loop(self) -> None:
        cfg = self.webhook
        if cfg is None:
            return
        slots = asyncio.Semaphore(cfg.max_connections)
        while self.webhook is cfg and not self._closing:
            entry = next((e for e in self._pending if not e.in_delivery), None)
            if entry is None:
                await self._updates_signal.wait(None)
                continue
            await slots.acquire()
            entry.in_delivery = True
            self._delivering += 1
            asyncio.create_task(self._deliver(entry, slots))

    async def _deliver(self, entry: Pending, slots: asyncio.Semaphore) -> None:
        try:
            for attempt in range(1, self.webhook_attempts + 1):
                cfg = self.webhook
                if cfg is None or self._closing:
                    entry.in_delivery = False
                    return
                status, error, body = await self._post_json(cfg.url, entry.update, cfg.secret_token)
                self.deliveries.append(
                    Delivery(entry.update.get("update_id"), attempt, status, error)
                )
                if status is not None and 200 <= status < 300:
                    entry.delivered = True
                    await self._reply_call(body)
                    break
                cfg.last_error_date = int(time.time())
                cfg.last_error_message = error or f"Wrong response from the webhook: {status}"
                if attempt < self.webhook_attempts:
                    await asyncio.sleep(self.webhook_retry_delay * 2 ** (attempt - 1))
            else:
                self.webhook_failed.append(entry.update)
            if entry in self._pending:
                self._pending.remove(entry)
        finally:
            self._delivering -= 1
            slots.release()
            self._touch()

    async def _post_json(
        self, url: str, update: dict[str, Any], secret_token: str | None, timeout: float = 10
    ) -> tuple[int | None, str | None, bytes]:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret_token} if secret_token else {}
        if self._session is None:
            raise RuntimeError("the server is not started")
        try:
            async with self._session.post(
                url,
                json=update,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as resp:
                return resp.status, None, await resp.read()
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            return None, f"{type(exc).__name__}: {exc}", b""

    async def post_update_to(
        self, url: str, update: dict[str, Any], secret_token: str | None = None, timeout: float = 10
    ) -> int:
        """POST `update` to a webhook `url` like Telegram does; the HTTP status (0 on failure)."""
        status, _, _ = await self._post_json(url, update, secret_token, timeout)
        return status or 0


def webhook_conflict() -> ApiError:
    """The 409 Telegram answers to getUpdates while a webhook is set."""
    return ApiError(
        409,
        "Conflict: can't use getUpdates method while webhook is active; "
        "use deleteWebhook to delete the webhook first",
    )
