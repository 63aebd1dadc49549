"""Simulated Telegram users: they send real updates and wait for what the bot answers."""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from .objects import new_file_ids, photo_sizes, utf16_len
from .records import BotMessage, Button, ChatEvent

if TYPE_CHECKING:
    from .methods import ChatLog

# A 1x1 PNG, the default picture a user sends.
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360f8cfc0f01f0005000201e2a8b3a90000000049454e44ae426082"
)
_query_ids = itertools.count(1)


class ChatServer(Protocol):
    """What a simulated user needs of the fake server (``FakeBotApi`` is one); written here so
    this module does not import the server that creates its users."""

    callback_queries: dict[str, dict[str, Any]]

    def chat_log(self, chat_id: int) -> ChatLog: ...

    async def enqueue(self, update: dict[str, Any]) -> dict[str, Any]: ...

    def store_file(
        self, file_id: str, data: bytes, filename: str | None = None, content_type: str | None = None
    ) -> None: ...

    def describe(self, chat_id: int | None = None, why: str = "") -> str: ...


class SimUser:
    """One person chatting privately with the bot; chat id == user id.

    Every `send_*`/`press*` method enqueues a real Update and returns it as a dict.
    `next_message()` / `wait_for()` read the bot's activity in this chat from a cursor, so each
    message is seen once; `messages` and `last_message` show the current state of the chat.
    """

    def __init__(
        self,
        server: ChatServer,
        user_id: int,
        first_name: str = "Sari",
        language_code: str | None = "id",
        username: str | None = None,
        last_name: str | None = None,
    ) -> None:
        self.server = server
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self.cursor = 0  # index into the chat's events already consumed
        log = server.chat_log(user_id)
        log.chat.update(self.chat_dict())

    # -- identity -----------------------------------------------------------------------------

    def user_dict(self) -> dict[str, Any]:
        """This user as a Telegram User object."""
        d: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            d["last_name"] = self.last_name
        if self.username:
            d["username"] = self.username
        if self.language_code:
            d["language_code"] = self.language_code
        return d

    def chat_dict(self) -> dict[str, Any]:
        """The private chat with this user as a Telegram Chat object."""
        d: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            d["last_name"] = self.last_name
        if self.username:
            d["username"] = self.username
        return d

    @property
    def blocked(self) -> bool:
        """True while the user has blocked the bot (sends then fail with 403 Forbidden)."""
        return self.server.chat_log(self.id).blocked

    @blocked.setter
    def blocked(self, value: bool) -> None:
        self.server.chat_log(self.id).blocked = value

    # -- sending ------------------------------------------------------------------------------

    def _message(self, **content: Any) -> dict[str, Any]:
        log = self.server.chat_log(self.id)
        msg = {
            "message_id": log.take_id(),
            "from": self.user_dict(),
            "chat": self.chat_dict(),
            "date": int(time.time()),
            **content,
        }
        log.user_messages[msg["message_id"]] = msg
        return msg

    async def _post(self, message: dict[str, Any], key: str = "message") -> dict[str, Any]:
        return await self.server.enqueue({key: message})

    async def send(self, text: str, reply_to: int | None = None) -> dict[str, Any]:
        """Send a text; "/cmd args" gets a bot_command entity at offset 0."""
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0] if text.strip() else text
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(command)}
            ]
        if reply_to is not None:
            target = self.server.chat_log(self.id).messages.get(reply_to)
            if target is not None:
                content["reply_to_message"] = target.to_api()
        return await self._post(self._message(**content))

    async def edit(self, message_id: int, text: str) -> dict[str, Any]:
        """Edit one of this user's earlier texts (an `edited_message` update)."""
        log = self.server.chat_log(self.id)
        original = log.user_messages[message_id]
        edited = {**original, "text": text, "edit_date": int(time.time())}
        log.user_messages[message_id] = edited
        return await self._post(edited, "edited_message")

    async def send_sticker(self, emoji: str = "👍") -> dict[str, Any]:
        """Send a sticker."""
        fid, uid = new_file_ids()
        sticker = {
            "file_id": fid,
            "file_unique_id": uid,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return await self._post(self._message(sticker=sticker))

    async def send_photo(
        self, data: bytes = TINY_PNG, caption: str | None = None
    ) -> dict[str, Any]:
        """Send a photo (its bytes are downloadable through getFile)."""
        fid, uid = new_file_ids()
        self.server.store_file(fid, data, "photo.png", "image/png", uid)
        content: dict[str, Any] = {"photo": photo_sizes(fid, uid, data)}
        if caption:
            content["caption"] = caption
        return await self._post(self._message(**content))

    async def send_voice(
        self,
        duration: int = 3,
        data: bytes = b"OggS fake voice",
        *,
        mime_type: str | None = "audio/ogg",
        with_size: bool = True,
    ) -> dict[str, Any]:
        """Send a voice note; its bytes are downloadable through getFile and the file URL.

        `with_size=False` leaves out `file_size`, which Telegram may do: the bot learns the size
        only from getFile.
        """
        fid, uid = new_file_ids()
        self.server.store_file(fid, data, "voice.ogg", mime_type or "audio/ogg", uid)
        voice: dict[str, Any] = {"file_id": fid, "file_unique_id": uid, "duration": duration}
        if mime_type:
            voice["mime_type"] = mime_type
        if with_size:
            voice["file_size"] = len(data)
        return await self._post(self._message(voice=voice))

    async def send_document(
        self,
        data: bytes = b"hello\n",
        filename: str = "notes.txt",
        mime_type: str = "text/plain",
        caption: str | None = None,
    ) -> dict[str, Any]:
        """Send a document."""
        fid, uid = new_file_ids()
        self.server.store_file(fid, data, filename, mime_type, uid)
        document = {
            "file_id": fid,
            "file_unique_id": uid,
            "file_name": filename,
            "mime_type": mime_type,
            "file_size": len(data),
        }
        content: dict[str, Any] = {"document": document}
        if caption:
            content["caption"] = caption
        return await self._post(self._message(**content))

    async def send_location(
        self, latitude: float = -6.2, longitude: float = 106.8
    ) -> dict[str, Any]:
        """Send a location (Jakarta by default)."""
        return await self._post(
            self._message(location={"latitude": latitude, "longitude": longitude})
        )

    async def press(self, callback_data: str, message_id: int) -> dict[str, Any]:
        """Press an inline button with `callback_data` on the bot's message `message_id`."""
        msg = self.server.chat_log(self.id).messages.get(message_id)
        if msg is None:
            raise LookupError(f"the bot sent no message {message_id} to chat {self.id}")
        query_id = f"{self.id}{next(_query_ids):06d}"
        self.server.callback_queries[query_id] = {"answered": False, "answer": None}
        query = {
            "id": query_id,
            "from": self.user_dict(),
            "chat_instance": str(uuid.uuid5(uuid.NAMESPACE_OID, str(self.id)).int)[:19],
            "message": msg.to_api(),
            "data": callback_data,
        }
        return await self.server.enqueue({"callback_query": query})

    async def press_button(
        self, match: str | Callable[[Button], bool], message: BotMessage | None = None
    ) -> dict[str, Any]:
        """Press the button whose text is `match` (or for which `match(Button)` holds) on
        `message`, by default the latest bot message that carries an inline keyboard."""
        if message is None:
            with_keyboard = [m for m in self.messages if m.buttons]
            if not with_keyboard:
                raise LookupError(
                    f"no bot message with buttons in chat {self.id}: {self.messages[-5:]}"
                )
            message = with_keyboard[-1]
        button = message.button(match)
        if button.data is None:
            raise LookupError(f"button {button.text!r} has no callback_data")
        return await self.press(button.data, message.message_id)

    # -- reading ------------------------------------------------------------------------------

    @property
    def messages(self) -> list[BotMessage]:
        """All bot messages in this chat that still exist, oldest first, edits applied."""
        log = self.server.chat_log(self.id)
        return [m for m in log.messages.values() if not m.deleted]

    @property
    def last_message(self) -> BotMessage | None:
        """The newest bot message that still exists, or None."""
        msgs = self.messages
        return msgs[-1] if msgs else None

    @property
    def events(self) -> list[ChatEvent]:
        """Everything the bot did in this chat (sent / edited / deleted), in order."""
        return self.server.chat_log(self.id).events

    def skip(self) -> None:
        """Mark everything the bot did so far as seen."""
        self.cursor = len(self.events)

    async def next_event(
        self, predicate: Callable[[ChatEvent], bool] | None = None, timeout: float = 5
    ) -> ChatEvent:
        """Wait for the next unseen event (matching `predicate`) and consume it.

        Raises TimeoutError describing the chat when nothing matching comes in time.
        """
        log = self.server.chat_log(self.id)
        events = log.events
        deadline = time.monotonic() + timeout
        while True:
            for i in range(self.cursor, len(events)):
                if predicate is None or predicate(events[i]):
                    self.cursor = i + 1
                    return events[i]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(self.server.describe(self.id, f"waited {timeout}s"))
            await log.signal.wait(remaining)

    async def next_message(self, timeout: float = 5) -> BotMessage:
        """The next message the bot sent to this chat since the last call (edits skipped)."""
        event = await self.next_event(lambda e: e.kind == "sent", timeout)
        return event.message

    async def wait_for(
        self, predicate: Callable[[BotMessage], bool] | None = None, timeout: float = 5
    ) -> BotMessage:
        """The next message sent or edited since the last read for which `predicate` holds."""
        event = await self.next_event(
            lambda e: e.kind != "deleted" and (predicate is None or predicate(e.message)), timeout
        )
        return event.message

    def __repr__(self) -> str:
        return f"<SimUser {self.id} {self.first_name!r}>"
