"""``lark.apaas``: aPaaS workspace tables, workflows and Aily skills (Feishu aPaaS docs).

What the service does for you:

- reads a data-platform workspace's tables (by name) and their records, with
  filter, sort, column selection and paging; record bodies arrive as a JSON
  string and are decoded;
- updates and deletes a record by its ``_id``; ``expected_updated_at=`` makes
  the update conditional, so a write in between is a typed ``Conflict``;
- refuses a workspace-table call without a user token before sending it (the
  endpoints take user tokens only);
- triggers a workflow with an ``idempotent_key`` and records the execution in
  the client's store (memory, SQLite or PostgreSQL), since the API offers no
  status query; a lost answer is an
  ``OutcomeUnknown`` carrying the key;
- runs an Aily skill (session, message, run), polls the run with backoff on the
  client's clock and reads its answer, giving up after ``timeout`` seconds.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from lark_async.apaas import checks
from lark_async.apaas.meta import PARAM_INVALID
from lark_async.apaas.models import (
    FlowAnswer,
    MessagePage,
    RawRecordPage,
    RecordIds,
    RecordPage,
    RunAnswer,
    SessionAnswer,
    SkillResult,
    TablePage,
    WorkflowExecution,
    WorkspaceTable,
)
from lark_async.apaas.store import store_for
from lark_async.core.checks import bad_argument, check_int, check_number, check_str
from lark_async.core.errors import (
    Conflict,
    LarkError,
    LarkTimeout,
    NotFound,
    OutcomeUnknown,
    ServerError,
)
from lark_async.core.logging import get_logger
from lark_async.core.paging import PageGuard
from lark_async.core.response import LarkResponse
from lark_async.core.retry import backoff
from lark_async.core.service import Service, ServiceContext, parse_model
from lark_async.core.transport import new_request_id

WORKSPACES = "/open-apis/apaas/v1/workspaces"
APPLICATIONS = "/open-apis/apaas/v1/applications"
AILY_SESSIONS = "/open-apis/aily/v1/sessions"
MAX_AILY_CONTENT = 61_440  # a message's content (Feishu Aily docs)
RUN_ENDED = ("COMPLETED", "FAILED", "CANCELLED", "EXPIRED")
POLL_FIRST, POLL_CAP = 0.25, 2.0  # run polling: 0.25 s, doubling, at most 2 s between polls
CANCEL_TIMEOUT = 5.0
HANG_GRACE = 1.0  # real seconds past the timeout before a hung request is abandoned
MAX_PAGE = 500  # tables and records: page_size 1..500 (Feishu aPaaS docs)
MAX_NAMED = 20  # tables named in a NotFound's message (details holds them all)
SYSTEM_COLUMNS = frozenset(("_id", "_updated_at"))
NO_STATUS_QUERY = (
    "asynchronous run: the aPaaS API offers no status query, so its outcome is unknown "
    "to the library (check the flow's run history in the aPaaS console)"
)
FLOW_HINT = (
    "check the application namespace, the flow's API id and the operator, and that the "
    "aPaaS admin granted the app access to the flow"
)


def _ok(data: Any, request_id: str | None = None) -> LarkResponse[Any]:
    return LarkResponse(
        ok=True, code=0, msg="success", request_id=request_id or new_request_id(), data=data
    )


def _fail(err: LarkError, request_id: str | None = None) -> LarkResponse[Any]:
    return LarkResponse.failure(err, request_id=request_id or err.request_id or new_request_id())


def _seg(value: str) -> str:
    return quote(value, safe="")


def _version(value: object, name: str) -> int | str:
    """The ``_updated_at`` as read: an int, or a non-blank str (e.g. a timestamp)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip():
        return check_str(value, name, max_len=64, printable=True)
    raise bad_argument(name, "must be the record's _updated_at as read (an int or a str)")


def _missing(err: LarkError) -> bool:
    """2320001 is the API's only code; its message tells "no such table" from bad input."""
    text = err.message.lower()
    return err.code == PARAM_INVALID and ("not found" in text or "not exist" in text)


class APaaS(Service):
    """aPaaS tables, workflows and Aily skills: ``lark.apaas`` or ``lark.app(id).apaas``."""

    name = "apaas"

    def __init__(self, ctx: ServiceContext) -> None:
        super().__init__(ctx)
        # Executions this client started (the API has no status query), in the
        # client's store: memory unless token_store names SQLite or PostgreSQL.
        self._executions = store_for(getattr(ctx, "state_url", None))

    async def aclose(self) -> None:
        """Close the execution store's connection or pool (``LarkClient.aclose()`` calls it)."""
        await self._executions.close()

    # -- workspace tables --------------------------------------------------------

    async def list_workspace_tables(
        self,
        workspace_id: str,
        *,
        as_user: str | None = None,
        user_access_token: str | None = None,
    ) -> LarkResponse[list[WorkspaceTable]]:
        """Every table of the workspace: names, descriptions, column definitions."""
        ws = checks.name(workspace_id, "workspace_id")
        checks.user_token(as_user, user_access_token, checks.SCOPE_TABLE_READ)
        tables: list[WorkspaceTable] = []
        token: str | None = None
        guard = PageGuard(f"tables of workspace {ws!r}")
        while True:
            params: dict[str, Any] = {"page_size": MAX_PAGE}
            if token:
                params["page_token"] = token
            resp = parse_model(
                await self._request(
                    "GET",
                    f"{WORKSPACES}/{_seg(ws)}/tables",
                    params=params,
                    as_user=as_user,
                    user_access_token=user_access_token,
                ),
                TablePage,
            )
            if resp.error is not None or resp.data is None:
                return _fail(self._not_found(resp.error, f"workspace {ws!r}"), resp.request_id)
            tables.extend(resp.data.items)
            try:
                token = guard.next_token(resp.data.has_more, resp.data.page_token, resp)
            except ServerError as err:
                return _fail(err, resp.request_id)
            if token is None:
                return _ok(tables, resp.request_id)

    async def query_table_records(
        self,
        workspace_id: str,
        table_id: str,
        conditions: Mapping[str, Any] | str | None = None,
        *,
        select: Sequence[str] | None = None,
        order: str | None = None,
        page_size: int = 100,
        page_token: str | None = None,
        as_user: str | None = None,
        user_access_token: str | None = None,
    ) -> LarkResponse[RecordPage]:
        """One page of records of the table named ``table_id``.

        ``conditions``: ``{"age": ("gt", 10), "city": "Paris"}`` (operators eq,
        neq, gt, gte, lt, lte; ``None`` is ``is.null``) or a raw PostgREST filter
        string. ``order``: e.g. ``"age.desc,name.asc"``. ``select``: column names.
        """
        ws = checks.name(workspace_id, "workspace_id")
        table = checks.name(table_id, "table_id")
        flt = checks.conditions(conditions)
        size = check_int(page_size, "page_size", min=1, max=MAX_PAGE)
        params: dict[str, Any] = {"page_size": size}
        if flt:
            params["filter"] = flt
        if order is not None:
            params["order"] = check_str(order, "order", max_len=1000, printable=True)
        if select is not None:
            if isinstance(select, str) or not select:
                raise bad_argument("select", "must be a non-empty list of column names")
            params["select"] = ",".join(checks.column(c, "select item") for c in select)
        if page_token is not None:
            params["page_token"] = check_str(page_token, "page_token", printable=True)
        checks.user_token(as_user, user_access_token, checks.SCOPE_RECORD_READ)
        resp = parse_model(
            await self._request(
                "GET",
                f"{WORKSPACES}/{_seg(ws)}/tables/{_seg(table)}/records",
                params=params,
                as_user=as_user,
                user_access_token=user_access_token,
            ),
            RawRecordPage,
        )
        if resp.error is not None or resp.data is None:
            err = await self._table_missing(resp.error, ws, table, as_user, user_access_token)
            return _fail(err, resp.request_id)
        raw = resp.data.items
        try:
            rows = json.loads(raw) if isinstance(raw, str) else (raw or [])
        except ValueError:
            rows = None
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            err = ServerError(
                "records: items is not a JSON array of objects", request_id=resp.request_id
            )
            return _fail(err, resp.request_id)
        page = RecordPage(
            records=rows,
            has_more=resp.data.has_more,
            page_token=resp.data.page_token or None,
            total=resp.data.total,
        )
        return resp.with_data(page)  # keeps log_id, which a paging fault reports

    async def iter_table_records(
        self,
        workspace_id: str,
        table_id: str,
        conditions: Mapping[str, Any] | str | None = None,
        *,
        select: Sequence[str] | None = None,
        order: str | None = None,
        page_size: int = MAX_PAGE,
        as_user: str | None = None,
        user_access_token: str | None = None,
    ) -> AsyncIterator[dict[str, Any]]:
        """Every matching record, page after page; a failure is raised as its typed error."""
        token: str | None = None
        guard = PageGuard(f"records of table {table_id!r}")
        while True:
            resp = await self.query_table_records(
                workspace_id,
                table_id,
                conditions,
                select=select,
                order=order,
                page_size=page_size,
                page_token=token,
                as_user=as_user,
                user_access_token=user_access_token,
            )
            page = resp.unwrap()
            for record in page.records:
                yield record
            token = guard.next_token(page.has_more, page.page_token, resp)
            if token is None:
                return

    async def insert_table_records(
        self,
        workspace_id: str,
        table_id: str,
        records: Sequence[Mapping[str, Any]],
        *,
        upsert: bool = False,
        on_conflict: Sequence[str] | None = None,
        as_user: str | None = None,
        user_access_token: str | None = None,
    ) -> LarkResponse[list[str]]:
        """Add up to 500 rows to the table named ``table_id``; their ``_id``s, in order.

        ``upsert=True`` updates a row whose ``on_conflict`` columns (default the
        primary key ``_id``) match an existing one instead of failing on it.
        """
        ws = checks.name(workspace_id, "workspace_id")
        table = checks.name(table_id, "table_id")
        if isinstance(records, str | bytes | Mapping) or not isinstance(records, Sequence):
            raise bad_argument("records", "must be a list of column -> value mappings")
        if not 1 <= len(records) <= MAX_PAGE:
            raise bad_argument("records", f"must hold 1..{MAX_PAGE} rows, not {len(records)}")
        rows = [checks.row(r, f"records[{i}]") for i, r in enumerate(records)]
        for i, r in enumerate(rows):
            if "_updated_at" in r:  # the service stamps it; _id may be given (upsert)
                raise bad_argument(f"records[{i}]", "must not set the system column _updated_at")
        if not isinstance(upsert, bool):
            raise bad_argument("upsert", "must be a bool")
        params: dict[str, Any] = {}
        if on_conflict is not None:
            if not upsert:
                raise bad_argument("on_conflict", "applies to upsert=True only")
            if isinstance(on_conflict, str) or not isinstance(on_conflict, Sequence):
                raise bad_argument("on_conflict", "must be a list of unique column names")
            if not on_conflict:
                raise bad_argument("on_conflict", "must name at least one column")
            params["on_conflict"] = ",".join(checks.name(c, "on_conflict") for c in on_conflict)
        # An upsert resent after a lost answer leaves the same rows only if every row
        # holds its conflict columns; a row without them is inserted again.
        keys = list(on_conflict) if on_conflict else ["_id"]
        resendable = upsert and all(all(r.get(k) is not None for k in keys) for r in rows)
        checks.user_token(as_user, user_access_token, checks.SCOPE_RECORD_WRITE)
        resp = parse_model(
            await self._request(
                "POST",
                f"{WORKSPACES}/{_seg(ws)}/tables/{_seg(table)}/records",
                params=params or None,
                json={"records": json.dumps(rows, ensure_ascii=False)},
                headers={"Prefer": "resolution=merge-duplicates"} if upsert else None,
                idempotent=resendable,
                as_user=as_user,
                user_access_token=user_access_token,
            ),
            RecordIds,
        )
        if resp.error is not None or resp.data is None:
            err = await self._table_missing(resp.error, ws, table, as_user, user_access_token)
            if isinstance(err, OutcomeUnknown):
                err.hint = (
                    "the rows may have been added: query the table before inserting again, "
                    "or give each row its _id and insert with upsert=True, which is safe to resend"
                )
            return _fail(err, resp.request_id)
        return _ok(list(resp.data.record_ids), resp.request_id)

    async def update_table_record(
        self,
        workspace_id: str,
        table_id: str,
        record_id: str,
        update_data: Mapping[str, Any],
        *,
        expected_updated_at: int | str | None = None,
        expected_version: int | str | None = None,
        as_user: str | None = None,
        user_access_token: str | None = None,
    ) -> LarkResponse[str]:
        """Change some columns of the record whose ``_id`` is ``record_id``; its id back.

        With ``expected_updated_at`` (the record's ``_updated_at`` as read) the
        update applies only if nobody wrote since: otherwise a typed ``Conflict``.
        ``expected_version`` is another name for it (the record's version is its
        ``_updated_at``); give one or the other.
        """
        version_arg = "expected_updated_at"
        if expected_version is not None:
            if expected_updated_at is not None:
                raise bad_argument(
                    "expected_version", "give expected_version or expected_updated_at, not both"
                )
            expected_updated_at, version_arg = expected_version, "expected_version"
        ws = checks.name(workspace_id, "workspace_id")
        table = checks.name(table_id, "table_id")
        rid = checks.name(record_id, "record_id")
        record = checks.row(update_data, "update_data")
        if SYSTEM_COLUMNS & set(record):
            raise bad_argument("update_data", "must not set the system columns _id, _updated_at")
        cond: dict[str, Any] = {"_id": rid}
        if expected_updated_at is not None:
            cond["_updated_at"] = _version(expected_updated_at, version_arg)
        flt = checks.conditions(cond)
        checks.user_token(as_user, user_access_token, checks.SCOPE_RECORD_WRITE)
        resp = parse_model(
            await self._request(
                "PATCH",
                f"{WORKSPACES}/{_seg(ws)}/tables/{_seg(table)}/records",
                params={"filter": flt},
                json={"record": json.dumps(record, ensure_ascii=False)},
                # The same partial update twice leaves the same row; a conditional one
                # resent after a lost answer would match nothing and read as a Conflict.
                idempotent=expected_updated_at is None,
                as_user=as_user,
                user_access_token=user_access_token,
            ),
            RecordIds,
        )
        if resp.error is not None or resp.data is None:
            err = await self._table_missing(resp.error, ws, table, as_user, user_access_token)
            if isinstance(err, OutcomeUnknown):
                err.hint = (
                    "read the record again: if it holds your values the update was applied; "
                    "if not, update it again with the _updated_at just read"
                )
            return _fail(err, resp.request_id)
        if rid in resp.data.record_ids:
            return _ok(rid, resp.request_id)
        if expected_updated_at is not None:
            return _fail(
                Conflict(
                    f"record {rid!r} of {table!r} changed since it was read "
                    f"(_updated_at is no longer {expected_updated_at!r}); nothing was written",
                    hint="read the record again, then update it with its new _updated_at",
                    request_id=resp.request_id,
                ),
                resp.request_id,
            )
        return _fail(
            NotFound(f"no record with _id {rid!r} in table {table!r}", request_id=resp.request_id),
            resp.request_id,
        )

    async def delete_table_record(
        self,
        workspace_id: str,
        table_id: str,
        record_id: str,
        *,
        as_user: str | None = None,
        user_access_token: str | None = None,
    ) -> LarkResponse[None]:
        """Delete the record whose ``_id`` is ``record_id`` (nothing to delete is no error)."""
        ws = checks.name(workspace_id, "workspace_id")
        table = checks.name(table_id, "table_id")
        rid = checks.name(record_id, "record_id")
        checks.user_token(as_user, user_access_token, checks.SCOPE_RECORD_WRITE)
        resp = await self._request(
            "DELETE",
            f"{WORKSPACES}/{_seg(ws)}/tables/{_seg(table)}/records",
            params={"filter": checks.conditions({"_id": rid})},
            idempotent=True,
            as_user=as_user,
            user_access_token=user_access_token,
        )
        if resp.error is not None:
            err = await self._table_missing(resp.error, ws, table, as_user, user_access_token)
            return _fail(err, resp.request_id)
        return _ok(None, resp.request_id)

    async def _table_missing(
        self,
        err: LarkError | None,
        ws: str,
        table: str,
        as_user: str | None,
        user_access_token: str | None,
    ) -> LarkError:
        """A missing table's NotFound names the tables there are, when they can be read."""
        found = self._not_found(err, f"table {table!r} of workspace {ws!r}")
        if not isinstance(found, NotFound) or "table" not in (err.message if err else ""):
            return found
        listed = await self.list_workspace_tables(
            ws, as_user=as_user, user_access_token=user_access_token
        )
        if listed.ok and listed.data is not None:
            names = [t.name for t in listed.data]
            shown = ", ".join(names[:MAX_NAMED]) or "none"
            if len(names) > MAX_NAMED:  # all of them are in details
                shown += f" and {len(names) - MAX_NAMED} more"
            found.message = f"{found.message}; the workspace has: {shown}"
            found.args = (found.message,)
            found.details = {**(found.details or {}), "available_tables": names}
        return found

    def _not_found(self, err: LarkError | None, what: str) -> LarkError:
        if err is None:
            return ServerError(f"{what}: empty answer")
        if _missing(err):
            return NotFound(
                f"{what} does not exist ({err.message})",
                code=err.code,
                hint="check the workspace id (from the data-platform URL) and the table name: "
                "list_workspace_tables() names the tables",
                request_id=err.request_id,
                log_id=err.log_id,
            )
        return err

    # -- workflows -----------------------------------------------------------------

    async def trigger_workflow(
        self,
        workflow_id: str,
        parameters: Mapping[str, Any] | None = None,
        *,
        namespace: str,
        operator: str,
        is_async: bool = False,
        idempotent_key: str | None = None,
    ) -> LarkResponse[WorkflowExecution]:
        """Run the flow ``workflow_id`` of the application ``namespace``; its execution.

        ``operator``: an aPaaS user id or an e-mail. The execution is recorded in
        the client's store for :meth:`get_workflow_status`.
        """
        flow = checks.name(workflow_id, "workflow_id")
        ns = checks.name(namespace, "namespace")
        op = check_str(operator, "operator", max_len=255, printable=True)
        if not isinstance(is_async, bool):
            raise bad_argument("is_async", "must be a bool")
        if parameters is not None and not isinstance(parameters, Mapping):
            raise bad_argument("parameters", "must be a mapping of the flow's input -> value")
        params = checks.row(parameters, "parameters") if parameters else {}
        key = (
            check_str(idempotent_key, "idempotent_key", max_len=64, printable=True)
            if idempotent_key is not None
            else uuid.uuid4().hex
        )
        who = {"email": op} if "@" in op else {"_id": op}
        resp = parse_model(
            await self._request(
                "POST",
                f"{APPLICATIONS}/{_seg(ns)}/flows/{_seg(flow)}/execute",
                json={
                    "operator": json.dumps(who),
                    "params": json.dumps(params, ensure_ascii=False),
                    "is_async": bool(is_async),
                    "idempotent_key": key,
                },
                idempotency_key=key,
            ),
            FlowAnswer,
        )
        if resp.error is not None or resp.data is None:
            err = resp.error or ServerError("flow execute: empty answer")
            if err.code == PARAM_INVALID and "idempot" in err.message.lower():
                # An earlier attempt with this key was applied: ours, whose answer was
                # lost, or the caller's own earlier call that ended OutcomeUnknown.
                why = "its answer was lost" if resp.attempts > 1 else "the key was used before"
                err = OutcomeUnknown(
                    f"workflow {flow!r} was probably started once already, but {why} "
                    f"({err.message})",
                    hint=f"the execution id is unknown; the key was {key!r}: see the flow's "
                    "run history in the aPaaS console (a new key would run the flow again)",
                    request_id=resp.request_id,
                    idempotency_key=key,
                )
            elif err.code == PARAM_INVALID:
                err.hint = FLOW_HINT
                if _missing(err):
                    err = NotFound(
                        f"flow {flow!r} of application {ns!r} does not exist ({err.message})",
                        code=err.code,
                        hint=FLOW_HINT,
                        request_id=err.request_id,
                        log_id=err.log_id,
                    )
            return _fail(err, resp.request_id)
        answer = resp.data
        if not answer.execution_id:
            return _fail(ServerError("flow execute: no execution_id"), resp.request_id)
        try:
            outputs = json.loads(answer.out_params) if answer.out_params else None
        except ValueError:
            outputs = answer.out_params
        execution = WorkflowExecution(
            execution_id=answer.execution_id,
            workflow_id=flow,
            namespace=ns,
            is_async=bool(is_async),
            status=answer.status or None,
            out_params=outputs,
            error_msg=answer.error_msg or None,
            idempotent_key=key,
            note=NO_STATUS_QUERY if is_async else None,
            started_at=self._ctx.clock.time(),
        )
        try:
            await self._executions.put(
                self.app_id,
                execution.execution_id,
                execution.model_dump_json(),
                execution.started_at,
            )
        except Exception as exc:  # the flow ran: its id must reach the caller all the same
            get_logger().warning(
                "lark.apaas.execution",
                app_id=self.app_id,
                execution_id=execution.execution_id,
                outcome="not recorded",
                error=type(exc).__name__,
            )
        return _ok(execution, resp.request_id)

    async def get_workflow_status(self, execution_id: str) -> LarkResponse[WorkflowExecution]:
        """The recorded execution; the API has no status query, so an asynchronous
        run's status is the one known at start (``None``)."""
        eid = check_str(execution_id, "execution_id", max_len=255, printable=True)
        raw = await self._executions.get(self.app_id, eid)
        if raw is None:
            return _fail(
                NotFound(
                    f"no execution {eid!r} recorded by this client's store",
                    hint="the aPaaS API offers no execution query: only executions started "
                    "through this store are known (a memory store loses them on restart; "
                    "use token_store='sqlite:///...' or 'postgresql://...' to keep them)",
                )
            )
        return _ok(WorkflowExecution.model_validate_json(raw))

    # -- AI (Aily skills) ----------------------------------------------------------

    async def invoke_ai_capability(
        self,
        capability_id: str,
        input_data: Mapping[str, Any] | str,
        *,
        timeout: float = 30,
    ) -> LarkResponse[SkillResult]:
        """Run the Aily skill ``"<aily app id>/<skill id>"`` on ``input_data`` and wait
        for its answer, at most ``timeout`` seconds (then a typed ``LarkTimeout``).

        The documented run flow: a session, the input as its message, a run of
        the skill, the run polled with backoff until it ends, then the run's
        answer read from the session's messages. A run that ends FAILED or
        CANCELLED is a ``ServerError``, EXPIRED a ``LarkTimeout``.
        """
        cap = check_str(capability_id, "capability_id", max_len=255, printable=True)
        app, sep, skill = cap.partition("/")
        if not sep or not app or not skill or "/" in skill:
            raise bad_argument("capability_id", 'must be "<aily app id>/<skill id>"')
        checks.name(app, "capability_id")
        checks.name(skill, "capability_id")
        limit = check_number(timeout, "timeout", positive=True)
        if isinstance(input_data, str):
            text = check_str(input_data, "input_data", max_len=MAX_AILY_CONTENT)
        elif not isinstance(input_data, Mapping) or not input_data:
            raise bad_argument("input_data", "must be a non-empty str or a non-empty mapping")
        else:
            text = json.dumps(checks.row(input_data, "input_data"), ensure_ascii=False)
            if len(text) > MAX_AILY_CONTENT:
                raise bad_argument("input_data", f"is longer than {MAX_AILY_CONTENT} characters")
        where: dict[str, str] = {}
        try:
            # The clock's deadline answers first; this bounds a request that hangs.
            async with asyncio.timeout(limit + HANG_GRACE):
                return await self._run_skill(cap, app, skill, text, limit, where)
        except TimeoutError:
            pass
        if "run_id" in where:
            await self._cancel_run(where["base"], where["run_id"])
        return self._timed_out(cap, limit, where.get("run_id"), where.get("session_id"))

    async def _run_skill(
        self, cap: str, app: str, skill: str, text: str, limit: float, where: dict[str, str]
    ) -> LarkResponse[SkillResult]:
        """Session, message, run, polls, answer; ``where`` learns the ids as they come."""
        clock = self._ctx.clock
        deadline = clock.monotonic() + limit

        def left() -> float:
            return deadline - clock.monotonic()

        session = parse_model(
            await self._request(
                "POST",
                AILY_SESSIONS,
                json={},
                # A resend at worst leaves an empty session behind: harmless, so retry.
                idempotent=True,
                timeout=max(left(), 0.1),
            ),
            SessionAnswer,
        )
        if session.error is not None or session.data is None:
            return _fail(self._aily_error(session.error, cap), session.request_id)
        sid = session.data.session.id
        base = f"{AILY_SESSIONS}/{_seg(sid)}"
        where.update(session_id=sid, base=base)
        sent = await self._request(
            "POST",
            f"{base}/messages",
            json={"idempotent_id": uuid.uuid4().hex, "content_type": "TEXT", "content": text},
            idempotent=True,  # the idempotent_id makes a resend the same message
            timeout=max(left(), 0.1),
        )
        if sent.error is not None:
            return _fail(self._aily_error(sent.error, cap), sent.request_id)
        if left() <= 0:
            return self._timed_out(cap, limit, None, sid)
        started = parse_model(
            await self._request(
                "POST",
                f"{base}/runs",
                json={"app_id": app, "skill_id": skill},
                timeout=max(left(), 0.1),
            ),
            RunAnswer,
        )
        if started.error is not None or started.data is None:
            err = self._aily_error(started.error, cap)
            if isinstance(err, OutcomeUnknown):
                err.hint = (
                    f"the run of {cap!r} may have started in Aily session {sid!r}; calling "
                    "again starts another run"
                )
                err.details = {**err.details, "session_id": sid}
            return _fail(err, started.request_id)
        run = started.data.run
        where["run_id"] = run.id
        polls = 0
        while run.status.upper() not in RUN_ENDED:
            wait = left()
            if wait <= 0:
                await self._cancel_run(base, run.id)
                return self._timed_out(cap, limit, run.id, sid)
            await clock.sleep(min(wait, backoff(polls, base=POLL_FIRST, cap=POLL_CAP, jitter=0.1)))
            polls += 1
            polled = parse_model(
                await self._request("GET", f"{base}/runs/{_seg(run.id)}", timeout=max(left(), 0.1)),
                RunAnswer,
            )
            if polled.error is not None or polled.data is None:
                err = self._aily_error(polled.error, cap)
                if isinstance(err, LarkTimeout):
                    await self._cancel_run(base, run.id)
                    return self._timed_out(cap, limit, run.id, sid)
                if not err.retryable:
                    return _fail(err, polled.request_id)
                continue  # a passing failure of one poll: poll again
            run = polled.data.run
        status = run.status.upper()
        ended = {"run_id": run.id, "session_id": sid, "status": status}
        if status == "EXPIRED":
            return _fail(
                LarkTimeout(
                    f"the Aily run of {cap!r} expired before it answered",
                    hint="the skill took too long on the Aily side; try again later",
                    details=ended,
                )
            )
        if status != "COMPLETED":
            reason = (run.error.message if run.error else None) or "no reason given"
            return _fail(
                ServerError(
                    f"the Aily run of {cap!r} ended {status}: {reason}",
                    hint="check the skill in Aily; the run's id is in details",
                    details={**ended, "error_code": run.error.code if run.error else None},
                )
            )
        return await self._run_answer(base, run.id, sid, status)

    @staticmethod
    def _timed_out(
        cap: str, limit: float, run_id: str | None, sid: str | None
    ) -> LarkResponse[Any]:
        return _fail(
            LarkTimeout(
                f"the Aily skill {cap!r} gave no answer within {limit:g} s",
                hint="raise timeout=, or make the skill faster",
                details={"run_id": run_id, "session_id": sid},
            )
        )

    async def _run_answer(
        self, base: str, run_id: str, sid: str, status: str
    ) -> LarkResponse[SkillResult]:
        """The run's last assistant message is its answer."""
        output: str | None = None
        token: str | None = None
        guard = PageGuard(f"messages of Aily run {run_id!r}")
        while True:
            params: dict[str, Any] = {"run_id": run_id, "page_size": 100}
            if token:
                params["page_token"] = token
            page = parse_model(
                await self._request("GET", f"{base}/messages", params=params), MessagePage
            )
            if page.error is not None or page.data is None:
                return _fail(self._aily_error(page.error, run_id), page.request_id)
            for message in page.data.messages:
                sender = (message.sender.sender_type or "") if message.sender else ""
                if sender.upper() != "USER" and message.run_id in (None, "", run_id):
                    output = message.content
            try:
                token = guard.next_token(page.data.has_more, page.data.page_token, page)
            except ServerError as err:
                return _fail(err, page.request_id)
            if token is None:
                return _ok(
                    SkillResult(output=output, status=status, run_id=run_id, session_id=sid),
                    page.request_id,
                )

    async def _cancel_run(self, base: str, run_id: str) -> None:
        """Best effort, within the caller's call: the run stops using Aily's budget."""
        await self._request(
            "POST", f"{base}/runs/{_seg(run_id)}/cancel", json={}, timeout=CANCEL_TIMEOUT
        )

    @staticmethod
    def _aily_error(err: LarkError | None, what: str) -> LarkError:
        return err or ServerError(f"Aily ({what}): empty answer")
