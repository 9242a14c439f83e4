"""drive media routes: single and multipart upload, download with Range (Feishu drive media docs).

Uploaded bytes are kept on disk (uploads are large); a download is a file
response, which answers ``Range`` requests with 206 and the slice asked for.
"""

from __future__ import annotations

import math
import mimetypes
import shutil
from typing import IO, Any
from urllib.parse import quote

from aiohttp import web

from lark_async.testing.docs.state import (
    MEDIA,
    MEDIA_NOT_FOUND,
    MEDIA_PARAMS,
    PARENT_MISSING,
    PART_MISSING,
    PART_OUT_OF_RANGE,
    PART_SIZE,
    SINGLE_UPLOAD_MAX,
    SIZE_LIMIT,
    SIZE_MISMATCH,
    UPLOAD_EXPIRED,
    DocsState,
    Media,
    Upload,
    new_id,
    routes,
)
from lark_async.testing.server.envelope import FakeError
from lark_async.testing.server.request import FakeRequest, FormData

MEDIAS = "/open-apis/drive/v1/medias"
PARENT_TYPES = (
    "doc_image",
    "docx_image",
    "sheet_image",
    "doc_file",
    "docx_file",
    "sheet_file",
    "bitable_image",
    "bitable_file",
    "ccm_import_open",
)
_BLOCK_OF = {"docx_image": 27, "docx_file": 23}


def _error(code: int, msg: str, status: int = 400) -> FakeError:
    return FakeError(code, msg, status=status)


def _field(form: FormData | None, name: str) -> str:
    value = form.get(name) if form is not None else None
    if not isinstance(value, str) or not value:
        raise _error(MEDIA_PARAMS, f"params error: {name} is required")
    return value


def _int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _error(MEDIA_PARAMS, f"params error: {name} must be an int") from None


def _file(form: FormData | None) -> IO[bytes]:
    value = form.get("file") if form is not None else None
    if not isinstance(value, web.FileField):
        raise _error(MEDIA_PARAMS, "params error: file is required")
    return value.file


def _check_parent(state: DocsState, parent_type: str, parent_node: str) -> None:
    if parent_type not in PARENT_TYPES:
        raise _error(MEDIA_PARAMS, f"params error: unknown parent_type {parent_type}")
    want = _BLOCK_OF.get(parent_type)
    if want is not None:
        found = state.find_block(parent_node)
        if found is None or found[1]["block_type"] != want:
            raise _error(PARENT_MISSING, "parent_node not exist", status=400)


def _store(state: DocsState, source: IO[bytes], name: str) -> tuple[str, int]:
    token = new_id("box", 27)
    path = state.folder / token
    source.seek(0)
    with path.open("wb") as out:
        shutil.copyfileobj(source, out, 1024 * 1024)
    return token, path.stat().st_size


@routes.post(MEDIAS + "/upload_all", family=MEDIA)
def upload_all(req: FakeRequest) -> dict[str, Any]:
    state = req.state(DocsState)
    form = req.form
    name = _field(form, "file_name")
    parent_type = _field(form, "parent_type")
    parent_node = form.get("parent_node", "") if form is not None else ""
    size = _int(_field(form, "size"), "size")
    if size <= 0:
        raise _error(MEDIA_PARAMS, "params error: size must be positive")
    if size > SINGLE_UPLOAD_MAX:
        raise _error(SIZE_LIMIT, "file size beyond limit: use the multipart upload above 20 MB")
    _check_parent(state, parent_type, str(parent_node))
    token, actual = _store(state, _file(form), name)
    if actual != size:
        (state.folder / token).unlink()
        raise _error(SIZE_MISMATCH, f"actual size {actual} != declared size {size}")
    state.media[token] = Media(
        token, state.folder / token, size, name, parent_type, str(parent_node), req.app_id
    )
    state.single_uploads += 1
    return {"file_token": token}


@routes.post(MEDIAS + "/upload_prepare", family=MEDIA)
def upload_prepare(req: FakeRequest) -> dict[str, Any]:
    state = req.state(DocsState)
    body = req.json_object()
    name, parent_type = body.get("file_name"), body.get("parent_type")
    parent_node, size = body.get("parent_node", ""), body.get("size")
    if not isinstance(name, str) or not name or len(name) > 250:
        raise _error(MEDIA_PARAMS, "params error: file_name")
    if not isinstance(size, int) or size <= 0:
        raise _error(MEDIA_PARAMS, "params error: size")
    _check_parent(state, str(parent_type), str(parent_node))
    upload = Upload(
        new_id("up", 20),
        name,
        str(parent_type),
        str(parent_node),
        size,
        math.ceil(size / PART_SIZE),
    )
    state.uploads[upload.upload_id] = upload
    return {"upload_id": upload.upload_id, "block_size": PART_SIZE, "block_num": upload.block_num}


def _upload(state: DocsState, upload_id: Any) -> Upload:
    upload = state.uploads.get(str(upload_id))
    if upload is None:
        raise _error(UPLOAD_EXPIRED, "upload id expired or unknown")
    return upload


@routes.post(MEDIAS + "/upload_part", family=MEDIA)
def upload_part(req: FakeRequest) -> dict[str, Any]:
    state = req.state(DocsState)
    form = req.form
    upload = _upload(state, _field(form, "upload_id"))
    seq = _int(_field(form, "seq"), "seq")
    size = _int(_field(form, "size"), "size")
    if not 0 <= seq < upload.block_num:
        raise _error(PART_OUT_OF_RANGE, "block num out of bounds")
    expected = min(PART_SIZE, upload.size - seq * PART_SIZE)
    path = state.folder / f"{upload.upload_id}.{seq}"
    source = _file(form)
    source.seek(0)
    with path.open("wb") as out:
        shutil.copyfileobj(source, out, 1024 * 1024)
    actual = path.stat().st_size
    if actual != size or size != expected:
        path.unlink()
        raise _error(
            SIZE_MISMATCH, f"part {seq}: {actual} bytes sent, {size} declared, {expected} expected"
        )
    upload.parts[seq] = path  # the same seq again replaces the part
    state.parts_received += 1
    return {}


@routes.post(MEDIAS + "/upload_finish", family=MEDIA)
def upload_finish(req: FakeRequest) -> dict[str, Any]:
    state = req.state(DocsState)
    body = req.json_object()
    upload = _upload(state, body.get("upload_id"))
    if upload.token is not None:
        return {"file_token": upload.token}
    if body.get("block_num") != upload.block_num:
        raise _error(PART_OUT_OF_RANGE, "block_num does not match the prepared upload")
    missing = [s for s in range(upload.block_num) if s not in upload.parts]
    if missing:
        raise _error(PART_MISSING, f"block missing: {missing[:5]}")
    token = new_id("box", 27)
    path = state.folder / token
    with path.open("wb") as out:
        for seq in range(upload.block_num):
            with upload.parts[seq].open("rb") as part:
                shutil.copyfileobj(part, out, 1024 * 1024)
            upload.parts[seq].unlink()
    upload.token = token
    state.media[token] = Media(
        token, path, upload.size, upload.name, upload.parent_type, upload.parent_node, req.app_id
    )
    state.multipart_uploads += 1
    return {"file_token": token}


@routes.get(MEDIAS + "/{file_token}/download", family=MEDIA)
def download(req: FakeRequest) -> web.StreamResponse:
    state = req.state(DocsState)
    media = state.media.get(req.params["file_token"])
    if media is None:
        raise _error(MEDIA_NOT_FOUND, "file not found", status=404)
    ctype = mimetypes.guess_type(media.name)[0] or "application/octet-stream"
    headers = {
        "Content-Type": ctype,
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(media.name)}",
    }
    # FileResponse streams from disk and answers Range with 206.
    return web.FileResponse(media.path, headers=headers)
