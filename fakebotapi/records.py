"""What the fake Bot API server remembers: calls, uploads, the bot's messages, chat events."""

from __future__ import annotations

import asyncio
import html
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple


@dataclass
class UploadedFile:
    """A file that arrived in a multipart request (or that a simulated user sent)."""

    data: bytes
    filename: str | None = None
    content_type: str | None = None
    unique_id: str | None = None
    path: str | None = None  # set by the first getFile: where the file is served (as Telegram does)


@dataclass
class Call:
    """One Bot API request as the server received it.

    `params` holds the decoded parameters (numbers as int, JSON fields such as `reply_markup` as
    dicts), `files` the multipart uploads by field name, `at` the wall-clock time.
    `status` is the HTTP status answered (None while unanswered, 0 when the connection was
    dropped), `result` the `result` payload (or the error description); `content_type` the
    media type of the request body ("" without one), `headers` the request's headers;
    `in_webhook_reply` whether it came as the answer to a webhook POST.
    """

    method: str
    params: dict[str, Any]
    files: dict[str, UploadedFile] = field(default_factory=dict)
    at: float = field(default_factory=time.time)
    status: int | None = None
    result: Any = None
    content_type: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    in_webhook_reply: bool = False
    """Made in the HTTP reply to a webhook delivery, not as a request of its own."""

    @property
    def ok(self) -> bool:
        """True when the server answered 200."""
        return self.status == 200


class Button(NamedTuple):
    """An inline button as `(text, callback_data)`; compares equal to a plain 2-tuple."""

    text: str
    data: str | None


_TAG = re.compile(r"<[^>]*>")


@dataclass(eq=False)
class BotMessage:
    """A message the bot sent to a chat, in its current state (edits applied).

    `text` / `caption` are exactly what the bot sent (HTML tags included when it used
    parse_mode HTML; see `plain_text`). `photo` / `document` hold uploaded bytes (None when the
    bot sent a file_id or URL; then `file_ref` holds that string). `edits` lists the earlier
    states, oldest first.
    """

    chat: dict[str, Any]
    sender: dict[str, Any]
    message_id: int
    kind: str  # "text", "photo" or "document"
    text: str | None = None
    caption: str | None = None
    parse_mode: str | None = None
    reply_markup: dict[str, Any] | None = None
    photo: bytes | None = None
    document: bytes | None = None
    filename: str | None = None
    mime_type: str | None = None
    file_ref: str | None = None
    file_object: Any = None  # the "photo" list or "document" dict returned to the bot
    params: dict[str, Any] = field(default_factory=dict)
    date: int = field(default_factory=lambda: int(time.time()))
    sent_at: float = field(default_factory=time.perf_counter)
    edited_at: float | None = None
    edits: list[dict[str, Any]] = field(default_factory=list)
    deleted: bool = False

    @property
    def chat_id(self) -> int:
        """The id of the chat the message is in."""
        return int(self.chat["id"])

    @property
    def content(self) -> str:
        """The text, or the caption for a photo or document ("" when there is none)."""
        return (self.text if self.kind == "text" else self.caption) or ""

    @property
    def plain_text(self) -> str:
        """`content` as the user reads it: HTML tags removed and entities unescaped."""
        if (self.parse_mode or "").upper() == "HTML":
            return html.unescape(_TAG.sub("", self.content))
        return self.content

    @property
    def buttons(self) -> list[list[Button]]:
        """The inline keyboard as rows of `Button(text, data)`; [] when there is none."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [[Button(b.get("text", ""), b.get("callback_data")) for b in row] for row in rows]

    @property
    def keyboard(self) -> list[list[str]]:
        """A reply keyboard's button texts as rows; [] when there is none."""
        rows = (self.reply_markup or {}).get("keyboard") or []
        return [[b if isinstance(b, str) else b.get("text", "") for b in row] for row in rows]

    def button(self, match: str | Callable[[Button], bool]) -> Button:
        """The first inline button whose text equals `match` (or for which `match(button)` holds).

        Raises LookupError naming the buttons there are.
        """
        for row in self.buttons:
            for b in row:
                if match(b) if callable(match) else b.text == match:
                    return b
        raise LookupError(f"no button {match!r} in message {self.message_id}: {self.buttons}")

    def snapshot(self) -> dict[str, Any]:
        """The editable state, as stored in `edits` before an edit."""
        return {
            "text": self.text,
            "caption": self.caption,
            "parse_mode": self.parse_mode,
            "reply_markup": self.reply_markup,
            "edited_at": self.edited_at,
        }

    def to_api(self) -> dict[str, Any]:
        """The Message object the Bot API returns for this message."""
        msg: dict[str, Any] = {
            "message_id": self.message_id,
            "date": self.date,
            "chat": dict(self.chat),
            "from": dict(self.sender),
        }
        if self.kind == "text":
            msg["text"] = self.text or ""
        else:
            msg[self.kind] = self.file_object
            if self.caption:
                msg["caption"] = self.caption
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            # Telegram only echoes inline keyboards back in the returned message.
            msg["reply_markup"] = self.reply_markup
        if self.edited_at is not None:
            msg["edit_date"] = int(time.time())
        return msg

    def __repr__(self) -> str:
        extra = f" buttons={self.buttons}" if self.buttons else ""
        gone = " deleted" if self.deleted else ""
        return f"<BotMessage #{self.message_id} {self.kind} {self.content[:60]!r}{extra}{gone}>"


@dataclass
class Pending:
    """An update waiting to be confirmed (polling) or delivered (webhook)."""

    update: dict[str, Any]
    update_id: int
    force: bool = False  # redelivered: handed out once even if its id is below the offset
    delivered: bool = False
    in_delivery: bool = False


@dataclass
class ChatEvent:
    """Something the bot did in a chat: `kind` is "sent", "edited" or "deleted"; `at` is
    `time.perf_counter()` when the request arrived."""

    kind: str
    message: BotMessage
    at: float = field(default_factory=time.perf_counter)


class Signal:
    """A re-armable broadcast: `notify()` wakes every current `wait()`er."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        """Wake all waiters."""
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float | None) -> bool:
        """Wait for the next `notify()`; False when `timeout` passed first."""
        event = self._event
        if timeout is not None and timeout <= 0:
            return False
        try:
            async with asyncio.timeout(timeout):
                await event.wait()
        except TimeoutError:
            return False
        return True
