"""Images and files in documents: upload (single or multipart), bind, download
(Feishu docx and drive media docs).

An upload names its image or file block as parent (``parent_node``), so the
block exists first: without ``block_id`` the service creates one at the end of
the document. Up to 20 MB goes in one request (``upload_all``); above, the
multipart upload: prepare, then parts of the size Feishu asks for (4 MB) read
from the source a window at a time (never the whole file in memory), each part
retried on its own (a part is idempotent by its ``seq``), then finish. The
token is then bound to the block (``replace_image`` / ``replace_file``).
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal, cast

from lark_async.core.errors import InvalidParameter, ServerError
from lark_async.core.response import Download, LarkResponse
from lark_async.docs import checks
from lark_async.docs.base import DOCUMENTS, MEDIAS, DocsBase
from lark_async.docs.blocks import FILE, IMAGE, VIEW, MediaSource
from lark_async.docs.models import UploadedMedia

MediaType = Literal["image", "file"]
SINGLE_UPLOAD_MAX = 20 * 1024 * 1024  # 20,971,520 bytes (Feishu drive media docs)
FILE_NAME_MAX = 250
_PARENT_TYPE = {"image": "docx_image", "file": "docx_file"}
_IMAGE_MAGIC = (
    b"\xff\xd8\xff",  # JPEG
    b"\x89PNG\r\n\x1a\n",
    b"GIF87a",
    b"GIF89a",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
)


@dataclass
class MediaFile:
    """A checked upload source: its name, size and how to read it."""

    name: str
    size: int
    path: Path | None = None
    data: bytes | None = None
    stream: _Window | None = None

    def open(self) -> IO[bytes]:
        if self.path is not None:
            return self.path.open("rb")
        if self.data is not None:
            return io.BytesIO(self.data)
        assert isinstance(self.stream, _Window)
        # a fresh view: closing it leaves the caller's file open
        return cast(IO[bytes], _Window(self.stream.raw, self.stream.start, self.size))


def media_file(source: Any, media_type: str, file_name: str | None) -> MediaFile:
    """Check ``source`` (bytes, a path, or a seekable binary file) before anything is sent."""
    if file_name is not None and (not isinstance(file_name, str) or not file_name.strip()):
        raise InvalidParameter(f"file_name must be a non-empty str, not {file_name!r}")
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        item = MediaFile(
            file_name or f"upload.{'png' if media_type == 'image' else 'bin'}", len(data), data=data
        )
        head = data[:16]
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.is_file():
            raise InvalidParameter(f"path_or_bytes: no such file: {path}")
        item = MediaFile(file_name or path.name, path.stat().st_size, path=path)
        with path.open("rb") as fh:
            head = fh.read(16)
    elif hasattr(source, "read") and hasattr(source, "seek"):
        if not source.seekable():
            raise InvalidParameter(
                "path_or_bytes: a file object must be seekable (its size is sent first, "
                "and a retried part is read again)"
            )
        start = source.tell()
        size = source.seek(0, io.SEEK_END) - start
        source.seek(start)
        head = source.read(16)
        source.seek(start)
        if not isinstance(head, bytes):
            raise InvalidParameter("path_or_bytes: the file object must be opened in binary mode")
        name = file_name or Path(str(getattr(source, "name", "upload"))).name
        item = MediaFile(name, size, stream=_Window(source, start, size))
    else:
        raise InvalidParameter(
            "path_or_bytes must be bytes, a path or a binary file object, "
            f"not {type(source).__name__}"
        )
    if item.size == 0:
        raise InvalidParameter("path_or_bytes is empty: Feishu refuses 0-byte uploads")
    if len(item.name) > FILE_NAME_MAX:
        raise InvalidParameter(f"file_name must be at most {FILE_NAME_MAX} characters")
    if media_type == "image" and not (
        head.startswith(_IMAGE_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")
    ):
        raise InvalidParameter(
            "path_or_bytes is not a PNG, JPEG, GIF, WEBP, BMP or TIFF image",
            hint='upload other files with media_type="file"',
        )
    return item


class _Window(io.RawIOBase):
    """``size`` bytes of ``raw`` from ``start``, seekable within; reads go to the
    underlying file a chunk at a time, so a part is never held whole in memory."""

    def __init__(self, raw: IO[bytes], start: int, size: int) -> None:
        super().__init__()
        self.raw = raw
        self.start = start
        self._size = size
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, min(self._size, base + offset))
        return self._pos

    def readinto(self, buffer: Any) -> int:
        left = self._size - self._pos
        if left <= 0:
            return 0
        view = memoryview(buffer)[: min(len(buffer), left)]
        self.raw.seek(self.start + self._pos)
        n = self.raw.readinto(view) if hasattr(self.raw, "readinto") else _read_into(self.raw, view)
        self._pos += n or 0
        return n or 0


def _read_into(raw: IO[bytes], view: memoryview) -> int:
    chunk = raw.read(len(view))
    view[: len(chunk)] = chunk
    return len(chunk)


class MediaCalls(DocsBase):
    async def upload_doc_media(
        self,
        document_id: str,
        path_or_bytes: MediaSource,
        media_type: MediaType = "image",
        *,
        block_id: str | None = None,
        file_name: str | None = None,
    ) -> LarkResponse[UploadedMedia]:
        """Upload an image or file into a document and bind it to its block.

        Without ``block_id`` an image (or file) block is created at the end of the
        document first; with it, that empty block is used. Returns the
        ``file_token`` and the block id. Empty sources, non-images given as
        ``"image"`` and bad ids are refused before anything is sent.
        """
        doc = checks.doc_id(document_id, "document_id")
        kind = checks.choice(media_type, "media_type", ("image", "file"))
        block = checks.optional_id(block_id, "block_id")
        item = media_file(path_or_bytes, kind, file_name)
        if block is None:
            made = await self._media_block(doc, kind)
            if not made.ok or made.data is None:
                return made.with_data(None)
            block = made.data
        return await self._upload_and_bind(doc, block, item, kind)

    async def _media_block(self, doc: str, kind: str) -> LarkResponse[str]:
        """An empty image or file block at the end of the document; its id."""
        body = (
            {"block_type": IMAGE, "image": {}}
            if kind == "image"
            else {"block_type": FILE, "file": {}}
        )
        resp = await self._write(
            "POST", f"{DOCUMENTS}/{doc}/blocks/{doc}/children", doc, json={"children": [body]}
        )
        if not resp.ok:
            return resp.with_data(None)
        created = (resp.data or {}).get("children") or [{}]
        return resp.with_data(media_block_id(created[0]))

    async def _upload_and_bind(
        self, doc: str, block: str, item: MediaFile, kind: str
    ) -> LarkResponse[UploadedMedia]:
        uploaded = await self._upload(doc, block, item, _PARENT_TYPE[kind])
        if not uploaded.ok or uploaded.data is None:
            return uploaded.with_data(None)
        token = uploaded.data
        op = "replace_image" if kind == "image" else "replace_file"
        bound = await self._write(
            "PATCH", f"{DOCUMENTS}/{doc}/blocks/{block}", doc, json={op: {"token": token}}
        )
        if not bound.ok:
            if bound.error is not None:
                bound.error.details["file_token"] = token
            return bound.with_data(None)
        media = UploadedMedia(
            file_token=token,
            block_id=block,
            multipart=item.size > SINGLE_UPLOAD_MAX,
            size=item.size,
        )
        return bound.with_data(media)

    async def _upload(
        self, doc: str, block: str, item: MediaFile, parent_type: str
    ) -> LarkResponse[str]:
        extra = json.dumps({"drive_route_token": doc})
        if item.size <= SINGLE_UPLOAD_MAX:
            fh = item.open()
            try:
                # A repeated upload makes a second, unbound media object and no
                # visible duplicate, so the call may be resent.
                resp = await self._request(
                    "POST",
                    f"{MEDIAS}/upload_all",
                    data={
                        "file_name": item.name,
                        "parent_type": parent_type,
                        "parent_node": block,
                        "size": str(item.size),
                        "extra": extra,
                    },
                    files={"file": (item.name, fh, None)},
                    idempotent=True,
                )
            finally:
                fh.close()
            return _file_token(resp)
        return await self._multipart(block, item, parent_type, extra)

    async def _multipart(
        self, block: str, item: MediaFile, parent_type: str, extra: str
    ) -> LarkResponse[str]:
        prepared = await self._request(
            "POST",
            f"{MEDIAS}/upload_prepare",
            json={
                "file_name": item.name,
                "parent_type": parent_type,
                "parent_node": block,
                "size": item.size,
                "extra": extra,
            },
            idempotent=True,  # an unused upload session expires on its own
        )
        if not prepared.ok:
            return prepared.with_data(None)
        data = prepared.data or {}
        upload_id = data.get("upload_id")
        block_size = data.get("block_size")
        block_num = data.get("block_num")
        if not isinstance(upload_id, str) or not isinstance(block_size, int) or block_size <= 0:
            err = ServerError("upload_prepare answered without upload_id/block_size")
            return LarkResponse.failure(err, request_id=prepared.request_id)
        parts = -(-item.size // block_size)
        if isinstance(block_num, int) and block_num != parts:
            err = ServerError(f"upload_prepare asked for {block_num} parts; the size gives {parts}")
            return LarkResponse.failure(err, request_id=prepared.request_id)
        source = item.open()
        try:
            for seq in range(parts):
                start = seq * block_size
                size = min(block_size, item.size - start)
                part = cast(IO[bytes], _Window(source, start, size))
                resp = await self._request(
                    "POST",
                    f"{MEDIAS}/upload_part",
                    data={"upload_id": upload_id, "seq": str(seq), "size": str(size)},
                    files={"file": (item.name, part, "application/octet-stream")},
                    idempotent=True,  # the same seq again replaces the part
                )
                if not resp.ok:
                    if resp.error is not None:
                        resp.error.details.update(upload_id=upload_id, parts_sent=seq)
                    return resp.with_data(None)
        finally:
            source.close()
        finished = await self._request(
            "POST",
            f"{MEDIAS}/upload_finish",
            json={"upload_id": upload_id, "block_num": parts},
            idempotent=True,  # finishing the same upload again gives the same token
        )
        return _file_token(finished)

    async def download_doc_media(
        self,
        file_token: str,
        save_path: str | os.PathLike[str] | IO[bytes],
        *,
        extra: str | None = None,
    ) -> LarkResponse[Download]:
        """Stream an image or file of a document to ``save_path`` (via ``<name>.part``,
        renamed when complete; a failed attempt is retried from the start)."""
        token = checks.doc_id(file_token, "file_token")
        dest: Path | IO[bytes]
        if isinstance(save_path, str | os.PathLike):
            dest = Path(save_path)
        elif hasattr(save_path, "write"):
            dest = save_path
        else:
            raise InvalidParameter(
                f"save_path must be a path or a binary file, not {type(save_path).__name__}"
            )
        params = {"extra": extra} if extra else None
        return await self._ctx.download(
            "GET", f"{MEDIAS}/{token}/download", dest, params=params, resume=True
        )


def media_block_id(created: dict[str, Any]) -> str:
    """The block an upload goes to: the block itself, or a view block's file child."""
    if created.get("block_type") == VIEW and created.get("children"):
        return str(created["children"][0])
    return str(created.get("block_id", ""))


def _file_token(resp: LarkResponse[dict[str, Any]]) -> LarkResponse[str]:
    if not resp.ok:
        return resp.with_data(None)
    token = (resp.data or {}).get("file_token")
    if not isinstance(token, str) or not token:
        err = ServerError("the upload answered without a file_token")
        return LarkResponse.failure(err, request_id=resp.request_id)
    return resp.with_data(token)
