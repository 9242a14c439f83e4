"""Image and file uploads and downloads (Feishu IM docs).

Uploads are multipart forms. An image must be 1 byte .. 10 MB in a format
recognised from its first bytes (JPEG, PNG, WEBP, GIF, TIFF, BMP, ICO, HEIC);
a file 1 byte .. 30 MB. Failures answer HTTP 400: 234001 bad or missing field,
234010 empty, 234006 too big, 234011 unrecognised image. Downloads return the
bytes with their ``Content-Type`` (files also with ``Content-Disposition``) and
JSON errors: 234001 unknown key, 234008 not this app's upload, and for message
resources 230110 recalled, 234003 key not in the message, 234004 bot cannot see
the chat, 234043 message type without downloadable resources.
"""

from __future__ import annotations

import json
import mimetypes
import uuid
from typing import Any
from urllib.parse import quote

from aiohttp import web

from lark_async.testing.im.content import resource_keys
from lark_async.testing.im.state import MB, MESSAGE_DELETED, ImState, im_error, ms, routes
from lark_async.testing.server.envelope import FakeError
from lark_async.testing.server.request import FakeRequest, FormData

IMAGES_PATH = "/open-apis/im/v1/images"
FILES_PATH = "/open-apis/im/v1/files"
RESOURCE_PATH = "/open-apis/im/v1/messages/{message_id}/resources/{file_key}"
IMAGE_LIMIT = 10 * MB
FILE_LIMIT = 30 * MB
IMAGE_TYPES = ("message", "avatar")
FILE_TYPES = ("opus", "mp4", "pdf", "doc", "xls", "ppt", "stream")

UPLOAD_INVALID = 234001
NOT_IN_MESSAGE = 234003
APP_NOT_IN_CHAT = 234004
TOO_BIG = 234006
NOT_UPLOADER = 234008
EMPTY = 234010
UNKNOWN_IMAGE_FORMAT = 234011
UNSUPPORTED_MESSAGE = 234043
_MESSAGES = {
    UPLOAD_INVALID: "Invalid request param.",
    NOT_IN_MESSAGE: "The resource is not in the message.",
    APP_NOT_IN_CHAT: "The app is not in the chat of the message.",
    TOO_BIG: "The file size exceeds the limit.",
    NOT_UPLOADER: "The app is not the uploader of the resource.",
    EMPTY: "The file size can not be 0.",
    UNKNOWN_IMAGE_FORMAT: "Image format can not be recognised.",
    UNSUPPORTED_MESSAGE: "This message type has no downloadable resource.",
}
_FILE_MIME = {"opus": "audio/opus", "mp4": "video/mp4", "pdf": "application/pdf"}


def upload_error(code: int, detail: str | None = None) -> FakeError:
    msg = _MESSAGES[code]
    return FakeError(code, f"{msg} {detail}" if detail else msg)


def sniff_image(data: bytes) -> str | None:
    """The image MIME type from the leading bytes, or None if not a supported format."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff"
    if data[:2] == b"BM" and len(data) >= 26:
        return "image/bmp"
    if data[:4] == b"\x00\x00\x01\x00":
        return "image/x-icon"
    if data[4:8] == b"ftyp" and data[8:12] in {b"heic", b"heix", b"hevc", b"hevx", b"mif1"}:
        return "image/heic"
    return None


@routes.post(IMAGES_PATH)
def upload_image(req: FakeRequest) -> dict[str, Any]:
    form = _form(req)
    image_type = form.get("image_type")
    if image_type not in IMAGE_TYPES:
        raise upload_error(UPLOAD_INVALID, "(image_type must be message or avatar)")
    data, name = _file(form, "image")
    _check_size(data, IMAGE_LIMIT)
    content_type = sniff_image(data)
    if content_type is None:
        raise upload_error(UNKNOWN_IMAGE_FORMAT)
    key = f"img_v2_{uuid.uuid4()}"
    _keep(req, key, "image", name, data, content_type, image_type=image_type)
    return {"image_key": key}


@routes.post(FILES_PATH)
def upload_file(req: FakeRequest) -> dict[str, Any]:
    form = _form(req)
    file_type = form.get("file_type")
    if file_type not in FILE_TYPES:
        raise upload_error(UPLOAD_INVALID, f"(file_type must be one of {list(FILE_TYPES)})")
    file_name = form.get("file_name")
    if not isinstance(file_name, str) or not file_name:
        raise upload_error(UPLOAD_INVALID, "(file_name is required)")
    raw_duration = form.get("duration")
    duration: int | None = None
    if raw_duration is not None:
        if not isinstance(raw_duration, str) or not raw_duration.isdigit():
            raise upload_error(UPLOAD_INVALID, "(duration must be whole milliseconds)")
        duration = int(raw_duration)
    data, _ = _file(form, "file")
    _check_size(data, FILE_LIMIT)
    content_type = (
        _FILE_MIME.get(file_type)
        or mimetypes.guess_type(file_name)[0]
        or "application/octet-stream"
    )
    key = f"file_v2_{uuid.uuid4()}"
    _keep(req, key, "file", file_name, data, content_type, file_type=file_type, duration=duration)
    return {"file_key": key}


@routes.get(IMAGES_PATH + "/{image_key}")
def download_image(req: FakeRequest) -> web.Response:
    upload = _own_upload(req, req.params["image_key"], "image")
    if upload["image_type"] != "message":
        raise upload_error(UPLOAD_INVALID, "(only images uploaded as image_type=message)")
    return _binary(upload)


@routes.get(FILES_PATH + "/{file_key}")
def download_file(req: FakeRequest) -> web.Response:
    return _binary(_own_upload(req, req.params["file_key"], "file"))


@routes.get(RESOURCE_PATH)
def download_resource(req: FakeRequest) -> web.Response:
    kind = req.query.get("type")
    if kind not in ("image", "file"):
        raise upload_error(UPLOAD_INVALID, "(type must be image or file)")
    state, app_id = req.state(ImState), req.app_id or ""
    message = state.messages.get(req.params["message_id"])
    if message is None:
        raise upload_error(UPLOAD_INVALID, "(invalid message_id)")
    chat = state.chats[message.chat_id]
    if message.app_id != app_id and not chat.has_bot(app_id):
        raise upload_error(APP_NOT_IN_CHAT)
    if message.deleted:
        raise im_error(MESSAGE_DELETED)
    if message.msg_type not in ("image", "file", "audio", "media", "post"):
        raise upload_error(UNSUPPORTED_MESSAGE)
    key = req.params["file_key"]
    keys = resource_keys(message.msg_type, json.loads(message.content))
    upload = state.uploads.get(key)
    if keys.get(key) != kind or upload is None:
        raise upload_error(NOT_IN_MESSAGE)
    return _binary(upload)


# --- helpers -------------------------------------------------------------------------
def _form(req: FakeRequest) -> FormData:
    if req.form is None:
        raise upload_error(UPLOAD_INVALID, "(send multipart/form-data)")
    return req.form


def _file(form: FormData, name: str) -> tuple[bytes, str | None]:
    value = form.get(name)
    if isinstance(value, web.FileField):
        return value.file.read(), value.filename
    if isinstance(value, bytes | bytearray):
        return bytes(value), None
    raise upload_error(UPLOAD_INVALID, f"({name} must be a file part)")


def _check_size(data: bytes, limit: int) -> None:
    if not data:
        raise upload_error(EMPTY)
    if len(data) > limit:
        raise upload_error(TOO_BIG, f"(limit {limit // MB} MB)")


def _keep(
    req: FakeRequest,
    key: str,
    kind: str,
    name: str | None,
    data: bytes,
    content_type: str,
    **extra: Any,
) -> None:
    upload: dict[str, Any] = {
        "kind": kind,
        "name": name,
        "size": len(data),
        "content_type": content_type,
        "data": data,
        "file_type": None,
        "duration": None,
        "image_type": None,
        "app_id": req.app_id,
        "create_time": ms(req.now()),
    }
    upload.update(extra)
    req.state(ImState).uploads[key] = upload


def _own_upload(req: FakeRequest, key: str, kind: str) -> dict[str, Any]:
    upload = req.state(ImState).uploads.get(key)
    if upload is None or upload["kind"] != kind:
        raise upload_error(UPLOAD_INVALID, f"(unknown {kind} key)")
    if upload["app_id"] != req.app_id:
        raise upload_error(NOT_UPLOADER)
    return upload


def _binary(upload: dict[str, Any]) -> web.Response:
    headers: dict[str, str] = {}
    if upload["kind"] == "file":
        name = upload["name"] or "file"
        fallback = name.encode("ascii", "replace").decode().replace('"', "_")
        headers["Content-Disposition"] = (
            f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"
        )
    return web.Response(body=upload["data"], content_type=upload["content_type"], headers=headers)
