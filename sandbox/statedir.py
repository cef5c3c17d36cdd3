"""`sandbox serve --state-dir DIR`: every namespace's state kept in DIR, so a restart goes on where
the last run stopped (sessions, balances, clocks, RNGs, pending webhook retries, journals).

The store is SQLite, from the standard library: one file, no server, no new dependency for a
sandbox whose serving is meant to stay light, and atomic transactions, so a `kill -9` in the
middle of a write leaves the previous write whole (write-ahead log, `synchronous=NORMAL`: a
commit survives the process dying; only an OS crash may lose the last one). The table `meta`
says which format and version wrote the file.

What grows with the sessions is written by the row, the rest by the namespace (rows.py): the
store's records (one row each, with their unique claims), their settle marks and idempotency
records are rows of `rows`; the rate limiter's windows and the deadline heap are appended to
`logs`, one entry per flush; everything else of a namespace (clock, RNGs, scenario, webhooks,
journal, events..., all capped) is one blob in `namespaces` (`persist.encode`).

Write-behind, dirty-tracked: a request to a namespace (and the live loop, when it expired or
sent something there) marks its sandbox dirty; a flush once a second from the app's lifespan
writes, for each dirty namespace, its blob and the rows that changed since the last flush (the
store and limiter track them: tracked.py), and deletes the rows of dropped namespaces, all in one
transaction; a last flush of every namespace runs at shutdown (SIGTERM, SIGINT). So a graceful
stop loses nothing and a `kill -9` the changes of the last second or so. A namespace that did
not change costs nothing; one that did costs its blob (~15 ms with a full journal) plus a few
µs per changed record (~3 µs to pickle a new session, rowpickle.py), not ~20 µs per stored
record as when each flush wrote the namespace whole. A namespace whose store or limiter is new
to the file (created, reset, a snapshot put in its place), or whose last write failed, is
written whole once.

So a flush runs in the process, on the loop: under `bench/state_dir.py`'s load (thousands of
new sessions a second) it takes tens of milliseconds. When each flush wrote its namespaces
whole (1-2 s for 60,000 sessions) it had to fork, as Redis's background save does, and the
children cost ~30 % more CPU per request than serving without `--state-dir`; forking a big
process for a few thousand rows costs more than writing them (the page-table copy, then the
copy-on-write faults of the loop), so the fork went. The SQLite write runs in one writer
thread (it waits for the disk, not the loop; one thread keeps the commits in order); the pause
after a flush is at least SHARE times what it took on the loop, so persistence takes at most a
tenth of the loop. A row costs the file its number in memory too (`rows.Written`: ~70 bytes a
key), so that writes append at the end of the b-tree instead of at random keys.

At start every row is read and checked (format, version, each state decodes) before anything
is written: a file from another version, or a damaged one, stops the start with a message that
names it, and the file is left as it was.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import logging
import sqlite3
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sandbox import __version__, persist, rows
from sandbox.contract import ProviderSpec
from sandbox.errors import StateDirError
from sandbox.namespaces import DEFAULT, Full, Namespaces
from sandbox.ratelimit import RateLimiter
from sandbox.state import Sandbox, Settings
from sandbox.store import Store

log = logging.getLogger("sandbox")

FILENAME = "sandbox.sqlite3"
INTERVAL = 1.0  # seconds between flushes, at least
SHARE = 9  # the pause after a flush is at least SHARE times what it took on the loop

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS namespaces (name TEXT PRIMARY KEY, state BLOB NOT NULL)",
    # A row's number (seq) is its place in its table's order; rows are found by it (rows.Written).
    "CREATE TABLE IF NOT EXISTS rows (seq INTEGER PRIMARY KEY, namespace TEXT NOT NULL, kind TEXT NOT NULL, "
    "key TEXT NOT NULL, value BLOB NOT NULL)",
    "CREATE INDEX IF NOT EXISTS rows_of ON rows (namespace, kind)",
    "CREATE TABLE IF NOT EXISTS logs (seq INTEGER PRIMARY KEY, namespace TEXT NOT NULL, kind TEXT NOT NULL, "
    "entries BLOB NOT NULL)",
    "CREATE INDEX IF NOT EXISTS logs_of ON logs (namespace, kind)",
)


Write = tuple[str, bytes, rows.Batch]  # (namespace, blob, its rows)


class StateDir:
    def __init__(self, directory: str | Path) -> None:
        self.path = Path(directory) / FILENAME
        self._db: sqlite3.Connection | None = None
        self._saved: set[str] = set()  # namespaces with a row
        # Per namespace, the store and limiter its rows hold, and where: another one (a reset, a snapshot
        # put in its place, a namespace made again) is written whole, and so is one whose write failed.
        self._written: dict[str, tuple[Store, RateLimiter, rows.Written]] = {}
        self._numbers = itertools.count(1)  # row numbers, one counter for both tables: only order matters
        # One writer thread: writes commit in the order the loop made them, a final one after any
        # cancelled at shutdown (which runs on in the thread).
        self._writer = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="state-dir")
        self._failed: set[str] = set()  # namespaces whose last write failed (set by the writer)
        self._lock = threading.Lock()
        self.flushes = 0
        self.last_flush_seconds = 0.0  # what the last flush took on the loop (encoding)
        self.rows_written = 0  # rows inserted or updated, all flushes together (tests read it)

    def _refuse(self, why: str) -> StateDirError:
        return _refusal(self.path, why)

    def open(self, namespaces: Namespaces) -> int:
        """Load every stored namespace into `namespaces`; returns how many. StateDirError before any write."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StateDirError(f"{self.path.parent}: cannot create the state directory ({error})") from None
        fresh = not self.path.exists()
        try:
            db = sqlite3.connect(self.path, timeout=60, check_same_thread=False, isolation_level=None)
        except sqlite3.Error as error:
            raise self._refuse(f"cannot open it ({error})") from None
        try:
            for name, (sandbox, written) in [] if fresh else self._load(db, namespaces):
                try:
                    target = namespaces.default if name == DEFAULT else namespaces.get(name)
                except Full:
                    continue  # over --max-namespaces: its rows stay, and come back with a larger limit
                persist.restore_into(target, sandbox)
                # Loading exercised the state (persist._check), which expires what came due meanwhile:
                # tracked since the rows were read, and written by the first flush.
                target.dirty = True
                self._written[name] = (target.store, target.limiter, written)
                self._saved.add(name)
            if not fresh:
                last = db.execute("SELECT max(seq) FROM rows").fetchone()[0] or 0
                last = max(last, db.execute("SELECT max(seq) FROM logs").fetchone()[0] or 0)
                self._numbers = itertools.count(last + 1)
        except BaseException:
            db.close()
            raise
        db.execute("PRAGMA page_size=16384")  # a new file only: ~20 % less CPU per row than 4096 (measured)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        for statement in _SCHEMA:
            db.execute(statement)
        db.execute(
            "INSERT OR REPLACE INTO meta VALUES ('format', ?), ('version', ?)", (str(persist.FORMAT), __version__)
        )
        self._db = db
        return len(self._saved)

    def _load(self, db: sqlite3.Connection, namespaces: Namespaces) -> list[tuple[str, tuple[Sandbox, rows.Written]]]:
        """Every stored namespace, each read and checked before any is used."""
        try:
            meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
            if meta.get("format") != str(persist.FORMAT) or meta.get("version") != __version__:
                raise self._refuse(
                    f"it was written by sandbox {meta.get('version')!r} (format {meta.get('format')!r}); this is "
                    f"sandbox {__version__} (format {persist.FORMAT}), which reads only its own"
                )
            names = db.execute("SELECT name FROM namespaces ORDER BY rowid").fetchall()
        except sqlite3.Error as error:
            raise self._refuse(f"not a sandbox state database ({error})") from None
        settings, providers, courier = namespaces.settings, namespaces.providers, namespaces.courier
        loaded = [(name, read(db, name, settings, providers, courier)) for (name,) in names]
        return [(name, sandbox) for name, sandbox in loaded if sandbox is not None]

    async def flush(self, namespaces: Namespaces, *, final: bool = False) -> int:
        """Write what changed since the last flush in every namespace that changed (`final`: every
        namespace), forget dropped ones, in one transaction; returns how many namespaces were written."""
        if self._db is None:
            return 0
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._writer, lambda: None)  # the last write (maybe cancelled) is done
        with self._lock:
            failed, self._failed = self._failed, set()
        named = namespaces.named()
        dirty = [(name, sandbox) for name, sandbox in named if sandbox.dirty or final or name in failed]
        gone = sorted(self._saved - {name for name, _ in named})
        if not dirty and not gone:
            return 0
        started = time.perf_counter()
        writes: list[Write] = []
        for name, sandbox in dirty:
            sandbox.dirty = False
            store, limiter = sandbox.store, sandbox.limiter
            known = self._written.get(name)
            whole = name in failed or known is None or known[0] is not store or known[1] is not limiter
            written = rows.Written() if whole or known is None else known[2]
            batch = rows.take(store, limiter, written, self._numbers, whole)
            writes.append((name, persist.encode(sandbox, name, rows.shells(store, limiter)), batch))
            self._written[name] = (store, limiter, written)
            self.rows_written += batch.size
        for name in gone:
            self._written.pop(name, None)
        self._saved = (self._saved - set(gone)) | {name for name, _ in dirty}
        self.last_flush_seconds = time.perf_counter() - started
        await loop.run_in_executor(self._writer, self._write, writes, gone)
        self.flushes += 1
        return len(dirty)

    def _write(self, writes: list[Write], gone: list[str]) -> None:
        with self._lock:
            try:
                if self._db is not None:
                    _commit(self._db, writes, gone)
            except sqlite3.Error as error:  # e.g. a full disk: written whole at the next flush
                self._failed |= {name for name, _, _ in writes}
                log.warning("writing the state to %s failed (%s); retrying at the next flush", self.path, error)

    async def run(self, namespaces: Namespaces) -> None:
        """Flush once a second, until cancelled; after a long flush, wait SHARE times what the loop paid."""
        while True:
            await asyncio.sleep(max(INTERVAL, SHARE * self.last_flush_seconds))
            await self.flush(namespaces)

    def close(self) -> None:
        self._writer.shutdown(wait=True)
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


def _commit(db: sqlite3.Connection, writes: list[Write], gone: list[str]) -> None:
    with db:  # one transaction: a kill -9 leaves the last committed flush whole
        db.execute("BEGIN")
        for name in gone:
            for table, column in (("namespaces", "name"), ("rows", "namespace"), ("logs", "namespace")):
                db.execute(f"DELETE FROM {table} WHERE {column} = ?", (name,))
        for name, blob, batch in writes:
            db.execute("INSERT OR REPLACE INTO namespaces (name, state) VALUES (?, ?)", (name, blob))
            for kind in batch.whole:
                table = "logs" if kind in (rows.WINDOWS, rows.DEADLINES) else "rows"
                db.execute(f"DELETE FROM {table} WHERE namespace = ? AND kind = ?", (name, kind))
            db.executemany("DELETE FROM rows WHERE seq = ?", batch.delete)
            insert = "INSERT INTO rows (seq, namespace, kind, key, value) VALUES (?, ?, ?, ?, ?)"
            db.executemany(insert, [(seq, name, *row) for seq, *row in batch.insert])
            db.executemany("UPDATE rows SET value = ? WHERE seq = ?", batch.update)
            insert = "INSERT INTO logs (seq, namespace, kind, entries) VALUES (?, ?, ?, ?)"
            db.executemany(insert, [(seq, name, kind, entries) for seq, kind, entries in batch.logs])


def _refusal(path: Path, why: str) -> StateDirError:
    return StateDirError(f"{path}: {why}. The file was left as it was; move it away or choose another --state-dir.")


def read(
    db: sqlite3.Connection, name: str, settings: Settings, providers: Mapping[str, ProviderSpec], courier: Any = None
) -> tuple[Sandbox, rows.Written] | None:
    """Namespace `name` as the file holds it, and where its rows are (None: not there); StateDirError
    if it cannot be read."""
    path = Path(db.execute("PRAGMA database_list").fetchone()[2])

    def refuse(why: str) -> StateDirError:
        return _refusal(path, why)

    try:
        found = db.execute("SELECT state FROM namespaces WHERE name = ?", (name,)).fetchone()
        if found is None:
            return None
        tables = {table for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        # A file without the row tables holds namespaces without rows; their blobs are still checked.
        select = "SELECT seq, kind, key, value FROM rows WHERE namespace = ? ORDER BY seq"
        table = db.execute(select, (name,)).fetchall() if "rows" in tables else []
        select = "SELECT kind, entries FROM logs WHERE namespace = ? ORDER BY seq"
        logs = db.execute(select, (name,)).fetchall() if "logs" in tables else []
    except sqlite3.Error as error:
        raise refuse(f"not a sandbox state database ({error})") from None
    typed = all(
        isinstance(kind, str) and isinstance(key, str) and isinstance(value, bytes) for _, kind, key, value in table
    )
    if not isinstance(found[0], bytes) or not typed or not all(isinstance(each, bytes) for _, each in logs):
        raise refuse("not a sandbox state database (a row of the wrong type)")

    written = rows.Written()

    def fill(sandbox: Sandbox) -> None:
        rows.fill(sandbox.store, sandbox.limiter, table, logs, written)
        rows.track(sandbox.store, sandbox.limiter)  # what the checks after this change is written next

    try:
        return persist.decode(found[0], settings, providers, courier, fill), written
    except persist.SnapshotError as error:
        raise refuse(f"the state of namespace {name!r} cannot be loaded: {error}") from None
