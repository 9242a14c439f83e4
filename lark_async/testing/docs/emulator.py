"""DocsEmulator: seeding and inspecting one emulator's documents, media and permissions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lark_async.testing.docs.state import DocsState, Document, block_text

if TYPE_CHECKING:
    from lark_async.testing.server.fake_lark import FakeLark


class DocsEmulator:
    """``DocsEmulator.of(fake)``: the docs state of ``fake`` (every view shares it)."""

    def __init__(self, fake: FakeLark) -> None:
        self._fake = fake
        self.state = fake.state(DocsState)

    @classmethod
    def of(cls, fake: FakeLark) -> DocsEmulator:
        return cls(fake)

    # --- seeding -----------------------------------------------------------------------
    def create_document(self, title: str = "") -> str:
        """A new empty document; returns its id."""
        return self.state.create_document(title).document_id

    def bump_revision(self, document_id: str, revisions: int) -> int:
        """Move the document's revision on (as if others had edited it); the new revision."""
        doc = self._doc(document_id)
        doc.revision += revisions
        return doc.revision

    def set_edits_per_document(self, limit: int | None) -> None:
        """Block writes per aligned second per document (default 3; None: unlimited)."""
        self.state.edits_per_document = limit

    # --- inspection --------------------------------------------------------------------
    def blocks(self, document_id: str) -> list[dict[str, Any]]:
        """Every block in pre-order, the page block first (copies)."""
        import copy

        return copy.deepcopy(self._doc(document_id).preorder())

    def texts(self, document_id: str) -> list[str]:
        """The text of every block below the page, in document order."""
        return [block_text(b) for b in self._doc(document_id).preorder()[1:]]

    def revision(self, document_id: str) -> int:
        return self._doc(document_id).revision

    def media_bytes(self, file_token: str) -> bytes:
        return self.state.media[file_token].path.read_bytes()

    def members(self, token: str) -> list[dict[str, Any]]:
        return [dict(m) for m in self.state.members.get(token, {}).values()]

    def public_settings(self, token: str) -> dict[str, Any]:
        from lark_async.testing.docs.state import PUBLIC_DEFAULTS

        return dict(self.state.public.get(token, PUBLIC_DEFAULTS))

    @property
    def block_writes(self) -> int:
        """Block writes applied (replays of a client_token not counted)."""
        return self.state.block_writes

    def _doc(self, document_id: str) -> Document:
        doc = self.state.documents.get(document_id)
        if doc is None:
            raise KeyError(f"no document {document_id!r}")
        return doc

    def __repr__(self) -> str:
        return f"DocsEmulator(documents={len(self.state.documents)})"
