"""The Bot API methods the fake server implements, apart from updates and webhooks.

Each `api_<MethodName>(params, files)` returns the `result` or raises `ApiError`, with
Telegram's own wording for the errors a bot meets in practice.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from .objects import (
    ApiError,
    bad_request,
    check_formatted,
    check_markup,
    document_object,
    file_path_for,
    new_file_ids,
    photo_sizes,
    utf16_len,
)
from .records import BotMessage, ChatEvent, Signal, UploadedFile

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")


@dataclass
class ChatLog:
    """Everything the server knows about one chat: the bot's messages and what happened."""

    chat: dict[str, Any]
    messages: dict[int, BotMessage] = field(default_factory=dict)
    events: list[ChatEvent] = field(default_factory=list)
    user_messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    last_id: int = 0
    blocked: bool = False
    signal: Signal = field(default_factory=Signal)  # notified on every event in this chat

    def take_id(self) -> int:
        """The next message_id in this chat (shared by the user's and the bot's messages)."""
        self.last_id += 1
        return self.last_id


class BotApiMethods:
    """Implementations of the stateless-ish Bot API methods; mixed into `FakeBotApi`."""

    bot_user: dict[str, Any]
    files: dict[str, UploadedFile]
    callback_queries: dict[str, dict[str, Any]]
    commands: dict[tuple[str, str], list[dict[str, Any]]]
    menu_buttons: dict[int | None, dict[str, Any]]
    strict_callbacks: bool
    _chats: dict[int, ChatLog]
    _changed: Signal

    # -- chats and messages ------------------------------------------------------------------

    def chat_log(self, chat_id: int) -> ChatLog:
        """The log of chat `chat_id`, created (as a private chat) on first use."""
        log = self._chats.get(chat_id)
        if log is None:
            if chat_id < 0:
                chat = {"id": chat_id, "type": "group", "title": f"Group {chat_id}"}
            else:
                chat = {"id": chat_id, "type": "private", "first_name": f"User{chat_id}"}
            log = self._chats[chat_id] = ChatLog(chat)
        return log

    def _target(self, p: dict[str, Any]) -> ChatLog:
        chat_id = p.get("chat_id")
        if not isinstance(chat_id, int) or isinstance(chat_id, bool):
            raise bad_request("chat not found")
        log = self.chat_log(chat_id)
        if log.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return log

    def _find(self, p: dict[str, Any], verb: str) -> tuple[ChatLog, BotMessage]:
        if p.get("inline_message_id"):
            raise bad_request(f"message to {verb} not found")
        log = self._target(p)
        msg = log.messages.get(p.get("message_id"))  # type: ignore[arg-type]
        if msg is None or msg.deleted:
            raise bad_request(f"message to {verb} not found")
        return log, msg

    def _event(self, log: ChatLog, kind: str, msg: BotMessage) -> None:
        log.events.append(ChatEvent(kind, msg))
        log.signal.notify()
        self._changed.notify()

    def _send(self, log: ChatLog, msg: BotMessage) -> dict[str, Any]:
        log.messages[msg.message_id] = msg
        self._event(log, "sent", msg)
        return msg.to_api()

    def _edit(self, log: ChatLog, msg: BotMessage, **changes: Any) -> dict[str, Any]:
        msg.edits.append(msg.snapshot())
        for key, value in changes.items():
            setattr(msg, key, value)
        msg.edited_at = time.perf_counter()
        self._event(log, "edited", msg)
        return msg.to_api()

    @staticmethod
    def _inline(markup: dict[str, Any] | None) -> dict[str, Any] | None:
        return markup if markup and "inline_keyboard" in markup else None

    @staticmethod
    def _check_caption(p: dict[str, Any]) -> str | None:
        caption = p.get("caption")
        if caption is None:
            return None
        caption = str(caption)
        if utf16_len(check_formatted(caption, p.get("parse_mode"))) > 1024:
            raise bad_request("message caption is too long")
        return caption

    def _upload(self, p: dict[str, Any], files: dict[str, UploadedFile], key: str):
        """The file behind parameter `key`: (bytes or None, filename, mime, ref string)."""
        value = p.get(key)
        upload = files.get(key)
        if isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value[len("attach://") :])
        if upload is not None:
            return upload.data, upload.filename, upload.content_type, None
        if isinstance(value, str) and value:
            known = self.files.get(value)
            if known is not None:
                return known.data, known.filename, known.content_type, value
            return None, None, None, value
        raise bad_request(f"there is no {key} in the request")

    # -- methods -------------------------------------------------------------------------------

    def api_getMe(self, p: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        """getMe: the bot's own User object."""
        return dict(self.bot_user)

    def api_sendMessage(self, p: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        """sendMessage: store the text message and return it."""
        log = self._target(p)
        text = p.get("text")
        text = "" if text is None else str(text)
        if not text.strip():
            raise bad_request("message text is empty")
        if utf16_len(check_formatted(text, p.get("parse_mode"))) > 4096:
            raise bad_request("message is too long")
        msg = BotMessage(
            chat=log.chat,
            sender=self.bot_user,
            message_id=log.take_id(),
            kind="text",
            text=text,
            parse_mode=p.get("parse_mode"),
            reply_markup=check_markup(p.get("reply_markup")),
            params=p,
        )
        return self._send(log, msg)

    def _send_file(self, p: dict[str, Any], files: dict[str, UploadedFile], kind: str) -> Any:
        log = self._target(p)
        caption = self._check_caption(p)
        markup = check_markup(p.get("reply_markup"))
        data, filename, mime, ref = self._upload(p, files, kind)
        file_id, unique_id = new_file_ids()
        if ref is not None and ref in self.files:
            file_id = ref
        if data is not None:
            self.files[file_id] = UploadedFile(data, filename, mime)
        if kind == "photo":
            obj: Any = photo_sizes(file_id, unique_id, data)
        else:
            obj = document_object(file_id, unique_id, data, filename, mime)
        msg = BotMessage(
            chat=log.chat,
            sender=self.bot_user,
            message_id=log.take_id(),
            kind=kind,
            caption=caption,
            parse_mode=p.get("parse_mode"),
            reply_markup=markup,
            photo=data if kind == "photo" else None,
            document=data if kind == "document" else None,
            filename=filename,
            mime_type=mime,
            file_ref=ref,
            file_object=obj,
            params=p,
        )
        return self._send(log, msg)

    def api_sendPhoto(self, p: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        """sendPhoto: store the photo (uploaded bytes, or the file_id/URL given)."""
        return self._send_file(p, files, "photo")

    def api_sendDocument(self, p: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        """sendDocument: store the document with its bytes and filename."""
        return self._send_file(p, files, "document")

    def api_editMessageText(self, p: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        """editMessageText: replace the text; no reply_markup removes the inline keyboard."""
        log, msg = self._find(p, "edit")
        if msg.kind != "text":
            raise bad_request("there is no text in the message to edit")
        text = "" if p.get("text") is None else str(p.get("text"))
        if not text.strip():
            raise bad_request("message text is empty")
        if utf16_len(check_formatted(text, p.get("parse_mode"))) > 4096:
            raise bad_request("message is too long")
        markup = self._inline(check_markup(p.get("reply_markup")))
        if (text, p.get("parse_mode"), markup) == (
            msg.text,
            msg.parse_mode,
            self._inline(msg.reply_markup),
        ):
            raise bad_request(NOT_MODIFIED)
        return self._edit(log, msg, text=text, parse_mode=p.get("parse_mode"), reply_markup=markup)

    def api_editMessageCaption(self, p: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        """editMessageCaption: replace the caption of a photo or document."""
        log, msg = self._find(p, "edit")
        if msg.kind == "text":
            raise bad_request("there is no caption in the message to edit")
        caption = self._check_caption(p)
        markup = self._inline(check_markup(p.get("reply_markup")))
        if (caption, markup) == (msg.caption, self._inline(msg.reply_markup)):
            raise bad_request(NOT_MODIFIED)
        return self._edit(
            log, msg, caption=caption, parse_mode=p.get("parse_mode"), reply_markup=markup
        )

    def api_editMessageReplyMarkup(self, p: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        """editMessageReplyMarkup: replace (or, without reply_markup, remove) the keyboard."""
        log, msg = self._find(p, "edit")
        markup = self._inline(check_markup(p.get("reply_markup")))
        if markup == self._inline(msg.reply_markup):
            raise bad_request(NOT_MODIFIED)
        return self._edit(log, msg, reply_markup=markup)

    def api_deleteMessage(self, p: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        """deleteMessage: mark the message deleted."""
        log, msg = self._find(p, "delete")
        msg.deleted = True
        self._event(log, "deleted", msg)
        return True

    def api_deleteMessages(self, p: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        """deleteMessages: mark every listed message that exists deleted."""
        log = self._target(p)
        for message_id in p.get("message_ids") or []:
            msg = log.messages.get(message_id)
            if msg is not None and not msg.deleted:
                msg.deleted = True
                self._event(log, "deleted", msg)
        return True

    def api_answerCallbackQuery(self, p: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        """answerCallbackQuery: mark the query answered (a second answer fails, as on Telegram)."""
        query = self.callback_queries.get(str(p.get("callback_query_id")))
        if query is None or (query["answered"] and self.strict_callbacks):
            raise bad_request(QUERY_TOO_OLD)
        query["answered"] = True
        query["answer"] = p
        self._changed.notify()
        return True

    def api_sendChatAction(self, p: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        """sendChatAction: accepted for any known chat."""
        self._target(p)
        return True

    @staticmethod
    def _commands_key(p: dict[str, Any]) -> tuple[str, str]:
        scope = p.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(p.get("language_code") or "")

    def api_setMyCommands(self, p: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        """setMyCommands: validate and store the list for its scope and language."""
        commands = p.get("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        for c in commands:
            if not isinstance(c, dict) or not _COMMAND.fullmatch(str(c.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(c.get("description", ""))) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._commands_key(p)] = commands
        return True

    def api_getMyCommands(self, p: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        """getMyCommands: the stored list for the scope and language ([] when none)."""
        return self.commands.get(self._commands_key(p), [])

    def api_deleteMyCommands(self, p: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        """deleteMyCommands: forget the list for the scope and language."""
        self.commands.pop(self._commands_key(p), None)
        return True

    def api_setChatMenuButton(self, p: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        """setChatMenuButton: store the menu button for the chat (or the default one)."""
        self.menu_buttons[p.get("chat_id")] = p.get("menu_button") or {"type": "default"}
        return True

    def api_getChatMenuButton(self, p: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        """getChatMenuButton: the stored menu button, else the default one."""
        chat_id = p.get("chat_id")
        return self.menu_buttons.get(chat_id) or self.menu_buttons.get(None) or {"type": "commands"}

    def api_getFile(self, p: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        """getFile: a File whose `file_path` is served under `base_file_url`, as the Bot API does:
        a path such as `voice/file_3.oga` (the same on every call), and "file is too big" above
        the 20 MB a bot may download (`download_limit`)."""
        file_id = str(p.get("file_id"))
        stored = self.files.get(file_id)
        if stored is None:
            raise bad_request("invalid file_id")
        if len(stored.data) > self.download_limit:
            raise bad_request("file is too big")
        if stored.path is None:
            stored.path = file_path_for(stored, len(self.file_paths))
            self.file_paths[stored.path] = file_id
        return {
            "file_id": file_id,
            "file_unique_id": stored.unique_id or "U" + file_id,
            "file_size": len(stored.data),
            "file_path": stored.path,
        }

    def _accept(self, p: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        return True

    api_close = api_logOut = api_setMyDescription = api_setMyShortDescription = _accept
    api_setMyName = api_setMessageReaction = _accept
