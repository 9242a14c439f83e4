"""ImEmulator: seeding and inspecting one emulator's IM state from a test."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from lark_async.testing.im import card_updates
from lark_async.testing.im.state import Chat, ImState, User, UserInfo, new_id

if TYPE_CHECKING:
    from lark_async.testing.server.fake_lark import FakeLark


class ImEmulator:
    """Seeding and inspection of one emulator's IM state. Get it with ``ImEmulator.of(fake)``."""

    def __init__(self, fake: FakeLark) -> None:
        self._fake = fake
        self.state = fake.state(ImState)

    @classmethod
    def of(cls, fake: FakeLark) -> ImEmulator:
        """The IM state of ``fake`` (created on first use; every view shares it)."""
        return cls(fake)

    # --- seeding ------------------------------------------------------------------
    def add_user(
        self,
        open_id: str | None = None,
        *,
        union_id: str | None = None,
        user_id: str | None = None,
        email: str | None = None,
        name: str = "",
        app_id: str | None = None,
        reachable: bool = True,
    ) -> UserInfo:
        """Add a user; missing ids are generated. ``app_id``: the app its open_id belongs to
        (None: any app). ``reachable=False``: outside the bot's availability (230013)."""
        user = User(
            open_id=open_id or new_id("ou_"),
            union_id=union_id or new_id("on_"),
            user_id=user_id or secrets.token_hex(4),
            email=email,
            name=name,
            app_id=app_id,
            reachable=reachable,
        )
        _check_prefix("open_id", user.open_id, "ou_")
        _check_prefix("union_id", user.union_id, "on_")
        if email is not None and "@" not in email:
            raise ValueError(f"email must contain '@': {email!r}")
        for id_type in ("open_id", "union_id", "user_id", "email"):
            value = getattr(user, id_type)
            if value is not None and self.state.user_by(id_type, value) is not None:
                raise ValueError(f"a user with {id_type} {value!r} already exists")
        self.state.users.append(user)
        return user.view()

    def seed_users(self, n: int, app_id: str | None = None) -> list[str]:
        """Add ``n`` reachable users; returns their open_ids."""
        return [self.add_user(app_id=app_id, name=f"user {i}")["open_id"] for i in range(n)]

    def add_chat(
        self,
        chat_id: str | None = None,
        *,
        name: str = "",
        members: Iterable[str] = (),
        bot_in_chat: bool = True,
        allow_at_all: bool = True,
    ) -> str:
        """Add a group chat; returns its ``oc_`` id. ``bot_in_chat=False`` → sends get 230002."""
        chat_id = chat_id or new_id("oc_")
        _check_prefix("chat_id", chat_id, "oc_")
        if chat_id in self.state.chats:
            raise ValueError(f"chat {chat_id!r} already exists")
        self.state.chats[chat_id] = Chat(
            chat_id,
            name=name,
            members=list(members),
            bot_in_chat=bot_in_chat,
            allow_at_all=allow_at_all,
        )
        return chat_id

    def dissolve_chat(self, chat_id: str) -> None:
        """Later sends, replies, edits and updates in the chat get 232009."""
        self._chat(chat_id).dissolved = True

    def add_department(self, department_id: str, members: Iterable[str]) -> None:
        """A department (for batch send's ``department_ids``) with these users' open_ids."""
        if department_id == "0":
            raise ValueError("department 0 is the root; batch send refuses it")
        self.state.departments[department_id] = list(members)

    # --- inspection -----------------------------------------------------------------
    def messages(
        self,
        *,
        receive_id: str | None = None,
        chat_id: str | None = None,
        include_recalled: bool = False,
    ) -> list[dict[str, Any]]:
        """Stored messages, oldest first, in the API shape plus ``uuid``.

        ``receive_id`` is a chat id or any id of a user (their p2p chats with any bot).
        """
        chats = self._chats_for(receive_id) if receive_id is not None else None
        return [
            m.inspect()
            for m in self.state.messages.values()
            if (include_recalled or not m.deleted)
            and (chats is None or m.chat_id in chats)
            and (chat_id is None or m.chat_id == chat_id)
        ]

    def message(self, message_id: str) -> dict[str, Any]:
        """One stored message (recalled ones too); KeyError if unknown."""
        found = self.state.messages.get(message_id)
        if found is None:
            raise KeyError(f"no message {message_id!r}")
        return found.inspect()

    @property
    def uploads(self) -> dict[str, dict[str, Any]]:
        """Upload key → {kind, name, size, content_type, data, file_type, duration, ...}."""
        return self.state.uploads

    @property
    def batches(self) -> dict[str, dict[str, Any]]:
        """``bm-`` id → {msg_type, open_ids, invalid_open_ids, recipients, message_ids, ...}."""
        return self.state.batches

    @property
    def card_updates(self) -> list[dict[str, Any]]:
        """Applied delayed card updates: {token, message_id, card, open_ids, app_id, time}."""
        return self.state.card_updates

    def issue_card_token(self, message_id: str, *, now: float | None = None) -> str:
        """A ``c-`` token for a card message, as its callback would carry (30 min, 2 uses).

        ValueError for a stored message that is not a card. An id the emulator never
        stored still gets a token; updates with it are recorded in ``card_updates``.
        """
        return card_updates.issue_card_token(
            self.state, message_id, self._fake.now() if now is None else now
        )

    # --- helpers ----------------------------------------------------------------------
    def _chat(self, chat_id: str) -> Chat:
        chat = self.state.chats.get(chat_id)
        if chat is None:
            raise KeyError(f"no chat {chat_id!r}")
        return chat

    def _chats_for(self, receive_id: str) -> set[str]:
        if receive_id in self.state.chats:
            return {receive_id}
        for id_type in ("open_id", "union_id", "user_id", "email"):
            user = self.state.user_by(id_type, receive_id)
            if user is not None:
                return {c.chat_id for c in self.state.chats.values() if c.p2p_user == user.open_id}
        return set()

    def __repr__(self) -> str:
        s = self.state
        return f"ImEmulator(users={len(s.users)}, chats={len(s.chats)}, messages={len(s.messages)})"


def _check_prefix(name: str, value: str, prefix: str) -> None:
    if not value.startswith(prefix):
        raise ValueError(f"{name} must start with {prefix!r}: {value!r}")
