"""``lark.messaging``: send, reply, edit, recall, update and download IM messages.

Every method checks its input before any request (bad ids, empty or oversized
content, wrong file types raise ``InvalidParameter``) and returns one
``LarkResponse``; Feishu's refusals come back typed in ``resp.error``.
Every send and reply carries an IM ``uuid`` made once per logical send and
reused by the transport's retries, so a retried send is delivered once.
"""

from __future__ import annotations

import inspect
import io
import math
import os
import re
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, ClassVar, Literal

from lark_async.core.actions import ActionTarget
from lark_async.core.errors import NotFound
from lark_async.core.response import LarkResponse
from lark_async.core.service import Service, ServiceContext, parse_model
from lark_async.core.transport import Download
from lark_async.messaging import codes
from lark_async.messaging._checks import (
    invalid,
    optional_str,
    require_bool,
    require_choice,
    require_token,
)
from lark_async.messaging.batch import BATCH_PATH, chunk_bodies, clean_ids, run_batches
from lark_async.messaging.cards import CardLike, card_dict, card_json, is_shared
from lark_async.messaging.content import MessageContent, as_content
from lark_async.messaging.fanout import fan_out, new_uuid
from lark_async.messaging.models import (
    BatchSendData,
    Message,
    MessageItems,
    UploadedFile,
    UploadedImage,
)
from lark_async.messaging.pacing import DEFAULT_MARGIN, DEFAULT_RECIPIENT_QPS, RecipientPacing
from lark_async.messaging.post import RichText
from lark_async.messaging.receivers import (
    RECEIVE_ID_TYPES,
    ReceiveIdType,
    Receiver,
    resolve_receiver,
)
from lark_async.messaging.results import BatchSendReport, RecipientResult, SendReport
from lark_async.messaging.routing import routed_card, routed_content
from lark_async.messaging.uploads import (
    FileType,
    ImageType,
    PreparedUpload,
    UploadSource,
    prepare_file,
    prepare_image,
)

MESSAGES = "/open-apis/im/v1/messages"
IMAGES = "/open-apis/im/v1/images"
FILES = "/open-apis/im/v1/files"
CARD_UPDATE = "/open-apis/interactive/v1/card/update"
UUID_MAX = 50
_KEY = re.compile(r"^[A-Za-z0-9_-]{5,200}\Z")  # keys have no dots or slashes
_GONE = frozenset({230011, 230110})  # recalled / deleted

Content = MessageContent | str | RichText | CardLike
Dest = str | os.PathLike[str] | IO[bytes]


class Messaging(Service):
    """IM messages for one app: ``lark.messaging`` or ``lark.app(app_id).messaging``."""

    name: ClassVar[str] = "messaging"

    def __init__(self, ctx: ServiceContext) -> None:
        super().__init__(ctx)
        self._pacing: RecipientPacing | None
        self.configure_pacing()

    def configure_pacing(
        self,
        *,
        recipient_qps: float | None = DEFAULT_RECIPIENT_QPS,
        app_windows: Sequence[tuple[int, float]] | None = None,
        margin: float = DEFAULT_MARGIN,
    ) -> None:
        """Set the spacing of sends to one recipient (``None`` turns it off).

        The default is Feishu's: 5 sends per second to one user or chat, for
        every send from this app's ``messaging``, single sends and fan-outs
        alike. The app's own IM limits (50/s and 1000/min) are the client's
        rate limiter's ``im`` family, which every IM call passes through:
        change them with ``LarkClient(rate_limits={"im": [(50, 1.0), (1000, 60.0)]})``.
        ``app_windows`` is deprecated and ignored (it used to pace the same
        windows a second time).
        """
        if not _is_number(margin) or not 0 <= margin <= 1:
            raise invalid(
                "margin", f"{margin!r:.40} is out of range", "a fraction, 0..1 (0.05 = 5%)"
            )
        if recipient_qps is not None and (
            not _is_number(recipient_qps) or not 0 <= recipient_qps < float("inf")
        ):
            raise invalid(
                "recipient_qps",
                f"{recipient_qps!r:.40} is not a rate",
                "> 0 sends a second, or None",
            )
        pacing = RecipientPacing(recipient_qps, margin=margin) if recipient_qps else None
        if app_windows is not None:
            _deprecated_app_windows(app_windows)
        self._pacing = pacing

    # -- sending ------------------------------------------------------------------
    async def send_message(
        self,
        receive_id: str | Receiver,
        content: Content,
        *,
        receive_id_type: ReceiveIdType | None = None,
        uuid: str | None = None,
        on_action: ActionTarget | None = None,
    ) -> LarkResponse[Message]:
        """Send any message. ``content``: a :class:`MessageContent`, or str (text),
        :class:`RichText` (post), :class:`Card`/:class:`CardTemplate`/card dict.

        ``uuid`` (<= 50 chars) de-duplicates for an hour; one is generated when
        not given. Pass your own to make a send safe to repeat across restarts.
        ``on_action``: a card's clicks go to the handler of that name (see
        :meth:`send_interactive_card`).
        """
        receiver = resolve_receiver(receive_id, receive_id_type)
        msg = routed_content(content, on_action)
        return await self._send(receiver, msg, _check_uuid(uuid) or new_uuid())

    async def send_text_message(
        self,
        receive_id: str | Receiver,
        text: str,
        *,
        receive_id_type: ReceiveIdType | None = None,
        uuid: str | None = None,
    ) -> LarkResponse[Message]:
        """Send text (<= 150 KB); mentions and styles via :mod:`lark_async.messaging.text`."""
        return await self.send_message(
            receive_id, MessageContent.text(text), receive_id_type=receive_id_type, uuid=uuid
        )

    async def send_rich_text_message(
        self,
        receive_id: str | Receiver,
        post: RichText | Mapping[str, Any],
        *,
        receive_id_type: ReceiveIdType | None = None,
        uuid: str | None = None,
    ) -> LarkResponse[Message]:
        """Send rich text (post, <= 30 KB) built with :class:`RichText` or as a dict."""
        return await self.send_message(
            receive_id, MessageContent.post(post), receive_id_type=receive_id_type, uuid=uuid
        )

    async def send_interactive_card(
        self,
        receive_id: str | Receiver,
        card: CardLike,
        *,
        receive_id_type: ReceiveIdType | None = None,
        uuid: str | None = None,
        on_action: ActionTarget | None = None,
    ) -> LarkResponse[Message]:
        """Send a card (:class:`Card`, :class:`CardTemplate` or card JSON; <= 30 KB).

        Clicks on its buttons reach the callback app (``lark_async.callbacks``),
        whose handlers see each button's ``value``. With ``on_action`` (a handler's
        registered name, or what ``@callbacks.card_action(name)`` returned) every
        button carries that name, and its clicks go to that handler in whichever
        process consumes them; the caller's card is not changed.
        """
        content = MessageContent.card(routed_card(card, on_action))
        return await self.send_message(
            receive_id, content, receive_id_type=receive_id_type, uuid=uuid
        )

    async def send_image_message(
        self,
        receive_id: str | Receiver,
        image: UploadSource,
        *,
        receive_id_type: ReceiveIdType | None = None,
        uuid: str | None = None,
    ) -> LarkResponse[Message]:
        """Send an image: an ``img_...`` key, or a path/bytes/file that is uploaded first."""
        receiver = resolve_receiver(receive_id, receive_id_type)
        msg_uuid = _check_uuid(uuid) or new_uuid()
        key = _key(image, "img_")
        if key is None:
            uploaded = await self._upload_image(prepare_image(image), "message")
            if uploaded.data is None:
                return uploaded.with_data(None)
            key = uploaded.data.image_key
        return await self._send(receiver, MessageContent.image(key), msg_uuid)

    async def send_file_message(
        self,
        receive_id: str | Receiver,
        file: UploadSource,
        *,
        file_type: FileType | None = None,
        file_name: str | None = None,
        receive_id_type: ReceiveIdType | None = None,
        uuid: str | None = None,
    ) -> LarkResponse[Message]:
        """Send a file: a ``file_...`` key, or a path/bytes/file that is uploaded first."""
        receiver = resolve_receiver(receive_id, receive_id_type)
        msg_uuid = _check_uuid(uuid) or new_uuid()
        key = _key(file, "file_")
        if key is None:
            prepared = prepare_file(file, file_type=file_type, file_name=file_name)
            uploaded = await self._upload_file(prepared)
            if uploaded.data is None:
                return uploaded.with_data(None)
            key = uploaded.data.file_key
        return await self._send(receiver, MessageContent.file(key), msg_uuid)

    async def send_audio_message(
        self,
        receive_id: str | Receiver,
        audio: UploadSource,
        *,
        duration_ms: int | None = None,
        receive_id_type: ReceiveIdType | None = None,
        uuid: str | None = None,
    ) -> LarkResponse[Message]:
        """Send a voice message: a ``file_...`` key of an opus upload, or an Ogg Opus file."""
        receiver = resolve_receiver(receive_id, receive_id_type)
        msg_uuid = _check_uuid(uuid) or new_uuid()
        key = _key(audio, "file_")
        if key is None:
            prepared = prepare_file(
                audio, file_type="opus", duration_ms=duration_ms, parameter="audio"
            )
            uploaded = await self._upload_file(prepared)
            if uploaded.data is None:
                return uploaded.with_data(None)
            key = uploaded.data.file_key
        return await self._send(receiver, MessageContent.audio(key), msg_uuid)

    async def send_media_message(
        self,
        receive_id: str | Receiver,
        video: UploadSource,
        *,
        cover: UploadSource | None = None,
        duration_ms: int | None = None,
        receive_id_type: ReceiveIdType | None = None,
        uuid: str | None = None,
    ) -> LarkResponse[Message]:
        """Send a video: an mp4 ``file_...`` key or file, with an optional cover image."""
        receiver = resolve_receiver(receive_id, receive_id_type)
        msg_uuid = _check_uuid(uuid) or new_uuid()
        # Check both before uploading either, so a bad cover wastes no upload.
        video_key = _key(video, "file_")
        video_up = (
            None
            if video_key
            else prepare_file(video, file_type="mp4", duration_ms=duration_ms, parameter="video")
        )
        cover_key = _key(cover, "img_") if cover is not None else None
        cover_up = (
            prepare_image(cover, parameter="cover")
            if cover is not None and cover_key is None
            else None
        )
        if video_up is not None:
            uploaded = await self._upload_file(video_up)
            if uploaded.data is None:
                return uploaded.with_data(None)
            video_key = uploaded.data.file_key
        if cover_up is not None:
            image = await self._upload_image(cover_up, "message")
            if image.data is None:
                return image.with_data(None)
            cover_key = image.data.image_key
        assert video_key is not None
        return await self._send(receiver, MessageContent.media(video_key, cover_key), msg_uuid)

    async def send_sticker_message(
        self,
        receive_id: str | Receiver,
        file_key: str,
        *,
        receive_id_type: ReceiveIdType | None = None,
        uuid: str | None = None,
    ) -> LarkResponse[Message]:
        """Send a sticker the bot has received (by its ``file_key``)."""
        return await self.send_message(
            receive_id, MessageContent.sticker(file_key), receive_id_type=receive_id_type, uuid=uuid
        )

    async def send_share_chat_message(
        self,
        receive_id: str | Receiver,
        chat_id: str,
        *,
        receive_id_type: ReceiveIdType | None = None,
        uuid: str | None = None,
    ) -> LarkResponse[Message]:
        """Send a group's card (the bot must be in ``chat_id``)."""
        return await self.send_message(
            receive_id,
            MessageContent.share_chat(chat_id),
            receive_id_type=receive_id_type,
            uuid=uuid,
        )

    async def send_share_user_message(
        self,
        receive_id: str | Receiver,
        open_id: str,
        *,
        receive_id_type: ReceiveIdType | None = None,
        uuid: str | None = None,
    ) -> LarkResponse[Message]:
        """Send a contact card of the user ``open_id``."""
        return await self.send_message(
            receive_id,
            MessageContent.share_user(open_id),
            receive_id_type=receive_id_type,
            uuid=uuid,
        )

    async def _send(
        self, receiver: Receiver, msg: MessageContent, msg_uuid: str
    ) -> LarkResponse[Message]:
        pace = self._pacing.pace(receiver) if self._pacing is not None else None
        resp = await self._ctx.request(
            "POST",
            MESSAGES,
            params={"receive_id_type": receiver.id_type},
            json={
                "receive_id": receiver.id,
                "msg_type": msg.msg_type,
                "content": msg.content,
                "uuid": msg_uuid,
            },
            idempotency_key=msg_uuid,
            pace=pace,  # checked by the client's limiter with the app's IM windows
        )
        codes.refine(resp, "send")
        return parse_model(resp, Message)

    # -- many recipients ------------------------------------------------------------
    async def send_to_many(
        self,
        receivers: Iterable[str | Receiver],
        content: Content,
        *,
        receive_id_type: ReceiveIdType | None = None,
        concurrency: int = 20,
        dedupe_key: str | None = None,
        on_result: Callable[[RecipientResult], None] | None = None,
        on_action: ActionTarget | None = None,
    ) -> SendReport:
        """Send one message to each recipient (any type), ``concurrency`` at a time.

        Respects 5 QPS per recipient (see :meth:`configure_pacing`) and, through
        the client's rate limiter, the app's 50/s & 1000/min. Never raises for
        one recipient: each gets a :class:`RecipientResult`, in input order.
        ``dedupe_key`` (e.g. a job id) makes every recipient's uuid stable, so
        re-running a half-finished job within an hour skips those already sent.
        Bad content raises before anything is sent. ``on_action``: a card's clicks
        go to the handler of that name.
        """
        msg = routed_content(content, on_action)
        if on_result is not None and not _takes_one_argument(on_result):
            raise invalid(
                "on_result",
                f"must be a function of one argument, got {type(on_result).__name__}",
                "pass a function taking a RecipientResult, or None",
            )
        require_choice("receive_id_type", receive_id_type, RECEIVE_ID_TYPES, optional=True)

        async def send_one(receiver: Receiver, msg_uuid: str) -> LarkResponse[Message]:
            return await self._send(receiver, msg, msg_uuid)

        return await fan_out(
            receivers,
            send_one,
            receive_id_type=receive_id_type,
            concurrency=concurrency,
            dedupe_key=dedupe_key,
            on_result=on_result,
        )

    async def batch_send(
        self,
        content: Content,
        *,
        open_ids: Iterable[str] | None = None,
        user_ids: Iterable[str] | None = None,
        union_ids: Iterable[str] | None = None,
        department_ids: Iterable[str] | None = None,
        concurrency: int = 4,
        on_action: ActionTarget | None = None,
    ) -> BatchSendReport:
        """Send through ``message/v4/batch_send`` (text, image, post, share_chat, card).

        For large audiences: up to 200 ids per list per request, chunked above
        that; duplicates are dropped. Each id comes back ``sent`` (with the
        ``bm-`` batch id) or ``failed`` (reported invalid by Feishu, or the
        chunk's error). Chunks are not retried once sent, since batch_send has
        no idempotency key: a lost answer is ``OutcomeUnknown`` for its ids.
        ``on_action``: a card's clicks go to the handler of that name.
        """
        body = routed_content(content, on_action).batch_body()
        ids = clean_ids(
            {
                "open_ids": open_ids,
                "user_ids": user_ids,
                "union_ids": union_ids,
                "department_ids": department_ids,
            }
        )
        if (
            isinstance(concurrency, bool)
            or not isinstance(concurrency, int)
            or not 1 <= concurrency <= 20
        ):
            raise invalid("concurrency", f"{concurrency!r:.40} is out of range", "use 1..20")

        async def post(chunk: dict[str, Any]) -> LarkResponse[BatchSendData]:
            resp = await self._request("POST", BATCH_PATH, json=chunk)
            codes.refine(resp, "batch_send")
            return parse_model(resp, BatchSendData)

        return await run_batches(chunk_bodies(body, ids), post, concurrency=concurrency)

    # -- message lifecycle --------------------------------------------------------------
    async def reply_message(
        self,
        message_id: str,
        content: Content,
        *,
        reply_in_thread: bool = False,
        uuid: str | None = None,
        on_action: ActionTarget | None = None,
    ) -> LarkResponse[Message]:
        """Reply to ``message_id`` (in its thread with ``reply_in_thread=True``).

        ``on_action``: a card reply's clicks go to the handler of that name.
        """
        _message_id(message_id)
        msg = routed_content(content, on_action)
        msg_uuid = _check_uuid(uuid) or new_uuid()
        body: dict[str, Any] = {"msg_type": msg.msg_type, "content": msg.content, "uuid": msg_uuid}
        if require_bool("reply_in_thread", reply_in_thread):
            body["reply_in_thread"] = True
        resp = await self._request(
            "POST", f"{MESSAGES}/{message_id}/reply", json=body, idempotency_key=msg_uuid
        )
        codes.refine(resp, "reply")
        return parse_model(resp, Message)

    async def edit_message(
        self, message_id: str, content: str | RichText | MessageContent
    ) -> LarkResponse[Message]:
        """Replace the text or post of a message this app sent (at most 20 edits)."""
        _message_id(message_id)
        msg = as_content(content)
        if msg.msg_type not in ("text", "post"):
            raise invalid(
                "content",
                f"{msg.msg_type} messages cannot be edited",
                "only text and post messages can be edited; update cards with update_card()",
            )
        # Re-applying the same content leaves the same message, so retrying is safe.
        resp = await self._request(
            "PUT",
            f"{MESSAGES}/{message_id}",
            json={"msg_type": msg.msg_type, "content": msg.content},
            idempotent=True,
        )
        codes.refine(resp, "edit")
        return parse_model(resp, Message)

    async def recall_message(self, message_id: str) -> LarkResponse[dict[str, Any]]:
        """Recall (delete) a message this app sent.

        Idempotent: recalling a message that is already gone succeeds with
        ``data == {"already_recalled": True}``. A retried DELETE (by the
        transport, or by aiohttp on a dropped keep-alive connection) would
        otherwise report its own first attempt as an error.
        """
        _message_id(message_id)
        resp = await self._request("DELETE", f"{MESSAGES}/{message_id}", idempotent=True)
        if resp.error is not None and resp.error.code in _GONE:
            return LarkResponse(
                ok=True,
                code=0,
                msg="already recalled",
                request_id=resp.request_id,
                log_id=resp.log_id,
                data={"already_recalled": True},
                http_status=resp.http_status,
                attempts=resp.attempts,
            )
        codes.refine(resp, "recall")
        return resp

    async def update_card(
        self, message_id: str, card: CardLike, *, on_action: ActionTarget | None = None
    ) -> LarkResponse[dict[str, Any]]:
        """Replace a sent card (PATCH). Both cards must be shared (``update_multi``);
        only cards younger than 14 days can be updated, 5 times per second.
        ``on_action``: the new card's clicks go to the handler of that name."""
        _message_id(message_id)
        text = card_json(routed_card(card, on_action), require_update_multi=True)
        resp = await self._request(
            "PATCH", f"{MESSAGES}/{message_id}", json={"content": text}, idempotent=True
        )
        codes.refine(resp, "update_card")
        return resp

    async def delay_update_card(
        self,
        token: str,
        card: CardLike,
        *,
        open_ids: Sequence[str] | None = None,
        on_action: ActionTarget | None = None,
    ) -> LarkResponse[dict[str, Any]]:
        """Update a card with the ``c-...`` token of its callback (Feishu callback docs).

        Call it after answering the callback. A token lasts 30 minutes and two
        uses, so this is never retried after sending. ``open_ids`` is only for
        non-shared JSON 1.0 cards (and required there). ``on_action``: the new
        card's clicks go to the handler of that name.
        """
        require_token("token", token, prefix="c-", example="c-...", secret=True)
        obj = card_dict(routed_card(card, on_action))
        if open_ids is not None and (
            isinstance(open_ids, str | bytes | Mapping) or not isinstance(open_ids, Iterable)
        ):
            raise invalid(
                "open_ids",
                f"must be a list of open_ids, got {type(open_ids).__name__}",
                "e.g. open_ids=['ou_...']",
            )
        if is_shared(obj):
            if open_ids is not None:
                raise invalid(
                    "open_ids",
                    "is set for a shared card",
                    "omit open_ids: shared cards update for all",
                )
        else:
            ids = list(open_ids or ())
            if not ids:
                raise invalid(
                    "open_ids",
                    "is required for a non-shared (update_multi=false) card",
                    "list the open_ids (ou_...) whose copy of the card to update",
                )
            for open_id in ids:
                require_token("open_ids", open_id, prefix="ou_", example="ou_...")
            obj["open_ids"] = ids
        card_json(obj)  # size and serialisability, open_ids included
        # Its own rate-limit family (card.update), so not paced with the IM calls.
        resp = await self._ctx.request("POST", CARD_UPDATE, json={"token": token, "card": obj})
        codes.refine(resp, "card_update")
        return resp

    async def get_message(self, message_id: str) -> LarkResponse[Message]:
        """Read one message (content, sender, deleted/updated flags)."""
        _message_id(message_id)
        resp = parse_model(await self._request("GET", f"{MESSAGES}/{message_id}"), MessageItems)
        codes.refine(resp, "get")
        if resp.data is None:
            return resp.with_data(None)
        if not resp.data.items:
            err = NotFound(f"no message {message_id}", request_id=resp.request_id)
            return LarkResponse.failure(err, request_id=resp.request_id, attempts=resp.attempts)
        return resp.with_data(resp.data.items[0])

    # -- uploads ------------------------------------------------------------------------
    async def upload_image(
        self,
        image: UploadSource,
        *,
        image_type: ImageType = "message",
        filename: str | None = None,
    ) -> LarkResponse[UploadedImage]:
        """Upload an image (path, bytes or binary file; <= 10 MB; JPEG, PNG, WEBP, GIF,
        TIFF, BMP, ICO, HEIC by content); returns its ``image_key``."""
        require_choice("image_type", image_type, ("message", "avatar"))
        optional_str("filename", filename)
        return await self._upload_image(prepare_image(image, filename=filename), image_type)

    async def upload_file(
        self,
        file: UploadSource,
        *,
        file_type: FileType | None = None,
        file_name: str | None = None,
        duration_ms: int | None = None,
    ) -> LarkResponse[UploadedFile]:
        """Upload a file (<= 30 MB, not empty); returns its ``file_key``.

        ``file_type`` (opus, mp4, pdf, doc, xls, ppt, stream) is detected from
        the content when omitted; for opus and mp4 the duration is read from
        the file unless ``duration_ms`` is given.
        """
        prepared = prepare_file(
            file, file_type=file_type, file_name=file_name, duration_ms=duration_ms
        )
        return await self._upload_file(prepared)

    async def _upload_image(
        self, up: PreparedUpload, image_type: str
    ) -> LarkResponse[UploadedImage]:
        # Uploading again only makes an unused key, so a lost answer may be retried.
        resp = await self._request(
            "POST",
            IMAGES,
            data={"image_type": image_type},
            files={"image": (up.filename, up.content, up.mime)},
            idempotent=True,
        )
        codes.refine(resp, "upload")
        return parse_model(resp, UploadedImage)

    async def _upload_file(self, up: PreparedUpload) -> LarkResponse[UploadedFile]:
        fields: dict[str, Any] = {"file_type": up.file_type, "file_name": up.filename}
        if up.duration_ms is not None:
            fields["duration"] = up.duration_ms
        resp = await self._request(
            "POST",
            FILES,
            data=fields,
            files={"file": (up.filename, up.content, up.mime)},
            idempotent=True,
        )
        codes.refine(resp, "upload")
        return parse_model(resp, UploadedFile)

    # -- downloads ----------------------------------------------------------------------
    async def download_message_resource(
        self,
        message_id: str,
        file_key: str,
        dest: Dest,
        *,
        resource_type: Literal["image", "file"],
    ) -> LarkResponse[Download]:
        """Stream an image or file of a message to ``dest`` (a path or binary file).

        ``resource_type``: ``image`` for images (also those inside a post),
        ``file`` for files, audio and video. Up to 100 MB; never held in memory.
        """
        _message_id(message_id)
        require_token("file_key", file_key)
        require_choice("resource_type", resource_type, ("image", "file"))
        return await self._download(
            f"{MESSAGES}/{message_id}/resources/{file_key}", dest, {"type": resource_type}
        )

    async def download_image(self, image_key: str, dest: Dest) -> LarkResponse[Download]:
        """Stream an image this app uploaded (image_type=message) to ``dest``."""
        require_token("image_key", image_key, prefix="img_", example="img_v2_...")
        return await self._download(f"{IMAGES}/{image_key}", dest)

    async def download_file(self, file_key: str, dest: Dest) -> LarkResponse[Download]:
        """Stream a file this app uploaded to ``dest``."""
        require_token("file_key", file_key, example="file_v2_...")
        return await self._download(f"{FILES}/{file_key}", dest)

    async def _download(
        self, path: str, dest: Dest, params: Mapping[str, str] | None = None
    ) -> LarkResponse[Download]:
        target: Path | IO[bytes] = (
            Path(_dest_path(dest)) if isinstance(dest, str | os.PathLike) else dest
        )
        if not isinstance(target, Path) and not callable(getattr(target, "write", None)):
            raise invalid("dest", f"{type(dest).__name__} is not writable", "a path or binary file")
        if isinstance(target, io.TextIOBase):  # it would refuse the bytes mid-download
            raise invalid("dest", "is a text-mode file", "open it with mode 'wb'")
        resp = await self._ctx.download("GET", path, target, params=params)
        codes.refine(resp, "get")
        return resp

    # aliases with the verbs some callers look for first
    reply = reply_message
    recall = recall_message
    edit = edit_message


def _deprecated_app_windows(app_windows: Sequence[tuple[int, float]]) -> None:
    try:
        ok = len(app_windows) > 0 and all(c > 0 and p > 0 for c, p in app_windows)
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise invalid(
            "app_windows",
            f"{app_windows!r} is not a list of windows",
            "e.g. ((50, 1.0), (1000, 60.0))",
        )
    warnings.warn(
        "configure_pacing(app_windows=...) is ignored: the app's IM limits are the client's "
        "rate limiter's 'im' family; set them with LarkClient(rate_limits={'im': [...]})",
        DeprecationWarning,
        stacklevel=3,
    )


def _message_id(message_id: str) -> str:
    return require_token("message_id", message_id, prefix="om_", example="om_...")


def _takes_one_argument(func: object) -> bool:
    if not callable(func):
        return False
    try:
        inspect.signature(func).bind(None)
    except TypeError:
        return False
    except ValueError:  # no signature to read (some builtins): trust it
        return True
    return True


def _is_number(value: object) -> bool:
    if isinstance(value, float):
        return not math.isnan(value)
    return isinstance(value, int) and not isinstance(value, bool)


def _dest_path(dest: str | os.PathLike[str]) -> str:
    """A path the file system can take: no NUL, nothing that cannot be encoded."""
    try:
        path = os.fspath(dest)
        if not isinstance(path, str) or not path or "\x00" in path:
            raise ValueError(path)
        os.fsencode(path)
        Path(path).is_dir()  # raises for a name the file system refuses (too long, ...)
    except (TypeError, ValueError, OSError) as exc:  # UnicodeEncodeError is a ValueError
        raise invalid(
            "dest",
            f"is not a usable file path ({type(exc).__name__})",
            "a path such as 'downloads/report.pdf'",
        ) from None
    return path


def _check_uuid(value: str | None) -> str | None:
    if value is None:
        return None
    if (
        not isinstance(value, str)
        or not value
        or len(value) > UUID_MAX
        or not value.isprintable()  # no control characters, no lone surrogates
    ):
        shown = repr(value)[:60] if isinstance(value, str) else type(value).__name__
        raise invalid(
            "uuid",
            f"{shown} is not a usable uuid",
            f"a uuid is 1..{UUID_MAX} characters; the same uuid within an hour sends once",
        )
    return value


def _key(source: UploadSource | None, prefix: str) -> str | None:
    """``source`` if it is an uploaded key (``img_...``/``file_...``) rather than a file."""
    if isinstance(source, str) and _KEY.match(source) and source.startswith(prefix):
        try:
            return source if not Path(source).exists() else None
        except OSError:  # e.g. a name too long for the file system: not a file, so a key
            return source
    return None
