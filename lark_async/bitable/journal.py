"""An import's journal: which batches of a file are in the table, so a run that was
interrupted (Ctrl-C, a crash, a lost connection) goes on without writing a row twice.

The journal is a JSON Lines file beside the data file (``people.csv`` →
``people.csv.lark-import.jsonl``), appended to and flushed to disk at each step:

- a header: the file's identity (size and SHA-256 of its content), the target
  (app_token, table_id), the batch size;
- ``begin``: batch *n* (its rows) is about to be sent with ``client_token`` *t*,
  written *before* the request, so a batch whose answer never arrived is sent
  again with the same token, and Feishu answers with the records the first send
  made instead of making them again;
- ``done``: batch *n* is confirmed, with the ids of the records it made;
- ``complete``: every batch is in; running the same import again does nothing
  unless it is started over.

A last line cut short by a crash is ignored (its step is simply not recorded).
A journal that belongs to another version of the file, or to another table, is
refused: resuming it would skip or double rows.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from lark_async.core.errors import InvalidParameter

SUFFIX = ".lark-import.jsonl"
VERSION = 1


def file_identity(data: Path) -> dict[str, Any]:
    """What ties a journal to one version of a file: its size and content hash."""
    digest = hashlib.sha256()
    with data.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return {"size": data.stat().st_size, "sha256": digest.hexdigest()}


def journal_path(data: Path) -> Path:
    """Where the journal of ``data`` lives: beside it, named after it."""
    return data.with_name(data.name + SUFFIX)


@dataclass(frozen=True, slots=True)
class Batch:
    """A confirmed batch: its rows ``[start, end)``, what was written, the record ids."""

    number: int
    start: int
    end: int
    written: int
    failed: int
    record_ids: tuple[str, ...] = ()


@dataclass
class ImportJournal:
    """The state read from (and appended to) one journal file."""

    path: Path
    identity: dict[str, Any]
    target: dict[str, Any]
    batch_size: int
    done: dict[int, Batch] = field(default_factory=dict)
    #: batch number → the client_token it was last sent with, until it is confirmed
    in_flight: dict[int, str] = field(default_factory=dict)
    complete: bool = False
    _fh: IO[str] | None = None

    # -- opening ---------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        data: Path,
        *,
        identity: dict[str, Any],
        target: dict[str, Any],
        batch_size: int,
        restart: bool = False,
    ) -> ImportJournal:
        """The journal of ``data`` for this import: resumed if there is one, else new.

        Raises ``InvalidParameter`` when the journal found belongs to another
        version of the file or another target (``restart=True`` discards it).
        """
        path = journal_path(data)
        if restart:
            path.unlink(missing_ok=True)
        if path.exists():
            journal = cls._load(path)
            journal._check(data, identity, target)
        else:
            journal = cls(path, identity, target, batch_size)
            journal._append(
                {
                    "journal": VERSION,
                    "file": data.name,
                    "identity": identity,
                    "target": target,
                    "batch_size": batch_size,
                }
            )
        return journal

    @classmethod
    def _load(cls, path: Path) -> ImportJournal:
        journal: ImportJournal | None = None
        with path.open(encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    break  # cut short by a crash: the step it was recording did not count
                if not isinstance(entry, dict):
                    break
                if journal is None:
                    if entry.get("journal") != VERSION:
                        raise InvalidParameter(
                            f"{path.name} is not an import journal this version can read",
                            hint="remove it, or start over with --restart",
                        )
                    journal = cls(
                        path,
                        dict(entry["identity"]),
                        dict(entry["target"]),
                        int(entry["batch_size"]),
                    )
                    continue
                journal._replay(entry, number)
        if journal is None:
            raise InvalidParameter(
                f"{path.name} is empty", hint="remove it, or start over with --restart"
            )
        return journal

    def _replay(self, entry: dict[str, Any], line: int) -> None:
        if "begin" in entry:
            self.in_flight[int(entry["begin"])] = str(entry["token"])
        elif "done" in entry:
            n = int(entry["done"])
            self.in_flight.pop(n, None)
            self.done[n] = Batch(
                n,
                int(entry["start"]),
                int(entry["end"]),
                int(entry["written"]),
                int(entry["failed"]),
                tuple(entry.get("record_ids") or ()),
            )
        elif entry.get("complete"):
            self.complete = True

    def _check(self, data: Path, identity: dict[str, Any], target: dict[str, Any]) -> None:
        if self.identity != identity:
            raise InvalidParameter(
                f"{data.name} changed since the import recorded in {self.path.name} "
                f"({self.rows_done} rows in): resuming would skip or double rows",
                hint="import the original file to finish, or start over with --restart "
                "(rows already imported would be created again)",
            )
        if self.target != target:
            was = ", ".join(f"{k}={v}" for k, v in self.target.items())
            raise InvalidParameter(
                f"{self.path.name} records an import of {data.name} into another target ({was})",
                hint="finish that import, or start over with --restart",
            )

    # -- recording -------------------------------------------------------------------
    @property
    def rows_done(self) -> int:
        return sum(b.end - b.start for b in self.done.values())

    @property
    def written(self) -> int:
        return sum(b.written for b in self.done.values())

    def token_for(self, number: int) -> str | None:
        """The client_token batch ``number`` was sent with, if its answer never came."""
        return self.in_flight.get(number)

    def begin(self, number: int, start: int, end: int, token: str) -> None:
        """Record, before sending, that batch ``number`` goes out with ``token``."""
        self.in_flight[number] = token
        self._append({"begin": number, "token": token, "start": start, "end": end})

    def confirm(self, batch: Batch) -> None:
        self.in_flight.pop(batch.number, None)
        self.done[batch.number] = batch
        self._append(
            {
                "done": batch.number,
                "start": batch.start,
                "end": batch.end,
                "written": batch.written,
                "failed": batch.failed,
                "record_ids": list(batch.record_ids),
            }
        )

    def finish(self) -> None:
        self.complete = True
        self._append({"complete": True})

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def _append(self, entry: dict[str, Any]) -> None:
        if self._fh is None:
            self._fh = self.path.open("a", encoding="utf-8")
        self._fh.write(json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())  # a step is recorded only once it is on disk
