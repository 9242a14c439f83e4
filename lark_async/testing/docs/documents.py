"""docx routes: documents, blocks (paged, pre-order), create children, updates,
deletes, raw content (Feishu docx docs)."""

from __future__ import annotations

import copy
from typing import Any

from lark_async.testing.docs.state import (
    BLOCK_CAPS,
    CANNOT_HAVE_CHILDREN,
    CREATABLE,
    DOCX_CREATE,
    DOCX_READ,
    DOCX_WRITE,
    ELEMENT_CAPS,
    INVALID_OPERATION,
    INVALID_PAGE_TOKEN,
    INVALID_PARAM,
    KEYS,
    MAX_CHILDREN,
    MAX_PAGE,
    NOT_CREATABLE,
    NOT_FOUND,
    OPERATION_MISMATCH,
    PARENT_TYPES,
    RELATION_MISMATCH,
    RESOURCE_CAP,
    TEXT_TYPES,
    TOO_MANY_CHILDREN,
    DocsState,
    Document,
    block_text,
    docx_error,
    empty_paragraph,
    new_id,
    revision_param,
    routes,
)
from lark_async.testing.server.request import FakeRequest

DOCS = "/open-apis/docx/v1/documents"
DOC = DOCS + "/{document_id}"
BLOCK = DOC + "/blocks/{block_id}"


def _state(req: FakeRequest) -> DocsState:
    return req.state(DocsState)


def _document_view(doc: Document) -> dict[str, Any]:
    return {"document_id": doc.document_id, "revision_id": doc.revision, "title": doc.title}


@routes.post(DOCS, family=DOCX_CREATE)
def create_document(req: FakeRequest) -> dict[str, Any]:
    body = req.json_object()
    title = body.get("title", "")
    if not isinstance(title, str) or len(title) > 800:
        raise docx_error(INVALID_PARAM, "title must be a string of at most 800 characters")
    doc = _state(req).create_document(title)
    return {"document": _document_view(doc)}


@routes.get(DOC, family=DOCX_READ)
def get_document(req: FakeRequest) -> dict[str, Any]:
    return {"document": _document_view(_state(req).document(req.params["document_id"]))}


@routes.get(DOC + "/raw_content", family=DOCX_READ)
def raw_content(req: FakeRequest) -> dict[str, Any]:
    doc = _state(req).document(req.params["document_id"])
    lines = [block_text(b) for b in doc.preorder() if b["block_type"] in TEXT_TYPES]
    return {"content": "\n".join(lines) + "\n"}


def _page(req: FakeRequest, items: list[dict[str, Any]]) -> dict[str, Any]:
    try:
        size = int(req.query.get("page_size", MAX_PAGE))
    except ValueError:
        raise docx_error(INVALID_PARAM, "page_size must be an int") from None
    if not 1 <= size <= MAX_PAGE:
        raise docx_error(INVALID_PARAM, f"page_size must be 1..{MAX_PAGE}")
    token = req.query.get("page_token")
    start = 0
    if token:
        if not token.startswith("pt") or not token[2:].isdigit() or int(token[2:]) > len(items):
            raise docx_error(INVALID_PAGE_TOKEN, "invalid page_token")
        start = int(token[2:])
    end = start + size
    page = {"items": [copy.deepcopy(b) for b in items[start:end]], "has_more": end < len(items)}
    if end < len(items):
        page["page_token"] = f"pt{end}"
    return page


@routes.get(DOC + "/blocks", family=DOCX_READ)
def list_blocks(req: FakeRequest) -> dict[str, Any]:
    doc = _state(req).document(req.params["document_id"])
    revision_param(req, doc)
    return _page(req, doc.preorder())


@routes.get(BLOCK, family=DOCX_READ)
def get_block(req: FakeRequest) -> dict[str, Any]:
    doc = _state(req).document(req.params["document_id"])
    return {"block": copy.deepcopy(doc.block(req.params["block_id"]))}


@routes.get(BLOCK + "/children", family=DOCX_READ)
def get_children(req: FakeRequest) -> dict[str, Any]:
    doc = _state(req).document(req.params["document_id"])
    parent = doc.block(req.params["block_id"])
    if req.query.get("with_descendants") == "true":
        items = doc.preorder(parent["block_id"], include_start=False)
    else:
        items = [doc.blocks[c] for c in parent["children"]]
    return _page(req, items)


# --- writes ----------------------------------------------------------------------------
def _write(req: FakeRequest) -> tuple[DocsState, Document, str | None, dict[str, Any] | None]:
    """The common start of a block write: document, revision, client_token replay, edit limit."""
    state = _state(req)
    doc = state.document(req.params["document_id"])
    revision_param(req, doc)
    token = req.query.get("client_token") or None
    if token is not None and token in doc.tokens:
        return state, doc, token, copy.deepcopy(doc.tokens[token])
    state.count_edit(doc, req.now())
    state.block_writes += 1
    return state, doc, token, None


def _done(doc: Document, token: str | None, data: dict[str, Any]) -> dict[str, Any]:
    doc.revision += 1
    data["document_revision_id"] = doc.revision
    if token is not None:
        data["client_token"] = token
        doc.tokens[token] = copy.deepcopy(data)
    return data


def _check_caps(children: list[Any]) -> None:
    counts: dict[Any, int] = {}
    for child in children:
        kind = child.get("block_type")
        if kind in BLOCK_CAPS:
            counts[kind] = counts.get(kind, 0) + 1
        for payload in child.values():
            if isinstance(payload, dict):
                for element in payload.get("elements") or []:
                    for key in ELEMENT_CAPS:
                        if isinstance(element, dict) and key in element:
                            counts[key] = counts.get(key, 0) + 1
    for key, n in counts.items():
        cap = BLOCK_CAPS[key] if isinstance(key, int) else ELEMENT_CAPS[key]
        if n > cap:
            raise docx_error(RESOURCE_CAP, f"resource count exceeded: {n} x {key} (cap {cap})")


def _new_block(doc: Document, parent_id: str, spec: dict[str, Any]) -> dict[str, Any]:
    kind = spec.get("block_type")
    if not isinstance(kind, int) or kind not in CREATABLE:
        raise docx_error(NOT_CREATABLE, f"block_type {kind!r} cannot be created")
    key = KEYS[kind]
    payload = spec.get(key)
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise docx_error(INVALID_PARAM, f"{key} must be an object")
    payload = copy.deepcopy(payload)
    if kind in TEXT_TYPES:
        elements = payload.get("elements")
        if not isinstance(elements, list) or not elements:
            raise docx_error(INVALID_PARAM, f"{key}.elements must be a non-empty list")
        payload.setdefault("style", {})
    block: dict[str, Any] = {
        "block_id": new_id(),
        "block_type": kind,
        "parent_id": parent_id,
        "children": [],
        key: payload,
    }
    doc.blocks[block["block_id"]] = block
    if kind == 27:
        payload.setdefault("width", 100)
        payload.setdefault("height", 100)
        payload.setdefault("align", 2)
        payload["token"] = ""
    elif kind == 23:
        # A file comes back wrapped in a view block (Feishu docx docs).
        payload.update(token="", name="")
        view: dict[str, Any] = {
            "block_id": new_id(),
            "block_type": 33,
            "parent_id": parent_id,
            "children": [block["block_id"]],
            "view": {"view_type": 1},
        }
        block["parent_id"] = view["block_id"]
        doc.blocks[view["block_id"]] = view
        return view
    if kind == 31:
        prop = payload.get("property") or {}
        rows, cols = prop.get("row_size"), prop.get("column_size")
        if not isinstance(rows, int) or not isinstance(cols, int) or rows < 1 or cols < 1:
            raise docx_error(INVALID_PARAM, "table.property needs row_size and column_size")
        cells = []
        for _ in range(rows * cols):
            cell = {
                "block_id": new_id(),
                "block_type": 32,
                "parent_id": block["block_id"],
                "children": [],
                "table_cell": {},
            }
            paragraph = empty_paragraph(cell["block_id"])
            cell["children"].append(paragraph["block_id"])
            doc.blocks[cell["block_id"]] = cell
            doc.blocks[paragraph["block_id"]] = paragraph
            cells.append(cell["block_id"])
        block["children"] = list(cells)
        payload["cells"] = list(cells)
        payload["property"] = {**prop, "row_size": rows, "column_size": cols}
    return block


@routes.post(BLOCK + "/children", family=DOCX_WRITE)
def create_children(req: FakeRequest) -> dict[str, Any]:
    body = req.json_object()
    _, doc, token, replay = _write(req)
    if replay is not None:
        return replay
    parent = doc.block(req.params["block_id"])
    children = body.get("children")
    if not isinstance(children, list) or not children:
        raise docx_error(INVALID_PARAM, "children must be a non-empty list")
    if len(children) > MAX_CHILDREN:
        raise docx_error(TOO_MANY_CHILDREN, f"at most {MAX_CHILDREN} children per request")
    if parent["block_type"] not in PARENT_TYPES:
        raise docx_error(CANNOT_HAVE_CHILDREN, "this block cannot have children")
    if not all(isinstance(c, dict) for c in children):
        raise docx_error(INVALID_PARAM, "children must be block objects")
    _check_caps(children)
    index = body.get("index", -1)
    if not isinstance(index, int) or index < -1 or index > len(parent["children"]):
        raise docx_error(INVALID_PARAM, f"index {index!r} out of range")
    before = dict(doc.blocks)  # new blocks only add entries: restore on a bad child
    try:
        made = [_new_block(doc, parent["block_id"], c) for c in children]
    except Exception:
        doc.blocks = before
        raise
    ids = [b["block_id"] for b in made]
    if index == -1:
        parent["children"].extend(ids)
    else:
        parent["children"][index:index] = ids
    return _done(doc, token, {"children": copy.deepcopy(made)})


def _apply(state: DocsState, doc: Document, block: dict[str, Any], op: dict[str, Any]) -> None:
    names = [k for k in op if k != "block_id"]
    if len(names) != 1:
        raise docx_error(INVALID_OPERATION, "an update holds exactly one operation")
    name, args = names[0], op[names[0]]
    if not isinstance(args, dict):
        raise docx_error(INVALID_PARAM, f"{name} must be an object")
    key = KEYS.get(block["block_type"], "")
    payload = block.setdefault(key, {})
    if name in ("update_text_elements", "update_text", "update_text_style"):
        if block["block_type"] not in TEXT_TYPES:
            raise docx_error(OPERATION_MISMATCH, f"{name} needs a text block")
        if name != "update_text_style":
            elements = args.get("elements")
            if not isinstance(elements, list) or not elements:
                raise docx_error(INVALID_PARAM, "elements must be a non-empty list")
            payload["elements"] = copy.deepcopy(elements)
        if name != "update_text_elements":
            style = args.get("style")
            if not isinstance(style, dict):
                raise docx_error(INVALID_PARAM, "style must be an object")
            payload.setdefault("style", {}).update(style)
        return
    if name in ("replace_image", "replace_file"):
        want = 27 if name == "replace_image" else 23
        if block["block_type"] != want:
            raise docx_error(OPERATION_MISMATCH, f"{name} needs an {KEYS[want]} block")
        media = state.media.get(str(args.get("token")))
        if media is None or media.parent_node != block["block_id"]:
            raise docx_error(
                RELATION_MISMATCH, "relation mismatch: media not uploaded to this block"
            )
        payload["token"] = media.token
        if want == 23:
            payload["name"] = media.name
        for extra in ("width", "height", "align"):
            if extra in args:
                payload[extra] = args[extra]
        return
    if name == "update_table_property" and block["block_type"] == 31:
        payload.setdefault("property", {}).update(
            {k: v for k, v in args.items() if k != "column_index"}
        )
        return
    raise docx_error(INVALID_OPERATION, f"operation {name} is not supported here")


@routes.patch(BLOCK, family=DOCX_WRITE)
def update_block(req: FakeRequest) -> dict[str, Any]:
    body = req.json_object()
    state, doc, token, replay = _write(req)
    if replay is not None:
        return replay
    block = doc.block(req.params["block_id"])
    _apply(state, doc, block, body)
    return _done(doc, token, {"block": copy.deepcopy(block)})


@routes.patch(DOC + "/blocks/batch_update", family=DOCX_WRITE)
def batch_update(req: FakeRequest) -> dict[str, Any]:
    body = req.json_object()
    state, doc, token, replay = _write(req)
    if replay is not None:
        return replay
    requests = body.get("requests")
    if not isinstance(requests, list) or not requests or len(requests) > 200:
        raise docx_error(INVALID_PARAM, "requests must hold 1..200 updates")
    ids = [r.get("block_id") if isinstance(r, dict) else None for r in requests]
    if len(set(ids)) != len(ids):
        raise docx_error(INVALID_PARAM, "a block may appear once per batch")
    # check everything first: a batch applies whole or not at all
    trial = copy.deepcopy(doc.blocks)
    for op, block_id in zip(requests, ids, strict=True):
        target = trial.get(str(block_id))
        if target is None:
            raise docx_error(NOT_FOUND, f"block {block_id} not found", status=404)
        _apply(state, doc, target, op)
    doc.blocks = trial
    return _done(doc, token, {"blocks": [copy.deepcopy(doc.blocks[str(i)]) for i in ids]})


@routes.delete(BLOCK + "/children/batch_delete", family=DOCX_WRITE)
def batch_delete(req: FakeRequest) -> dict[str, Any]:
    body = req.json_object()
    _, doc, token, replay = _write(req)
    if replay is not None:
        return replay
    parent = doc.block(req.params["block_id"])
    start, end = body.get("start_index"), body.get("end_index")
    if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end:
        raise docx_error(INVALID_PARAM, "start_index < end_index, both >= 0")
    if end > len(parent["children"]):
        raise docx_error(INVALID_PARAM, "end_index out of range")
    for child in parent["children"][start:end]:
        doc.remove(child)
    del parent["children"][start:end]
    return _done(doc, token, {})
