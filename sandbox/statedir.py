"""`sandbox serve --state-dir DIR`: every namespace's state kept in DIR, so a restart goes on where
the last run stopped (sessions, balances, clocks, RNGs, pending webhook retries, journals).

The store is SQLite, from the standard library: one file, no server, no new dependency for a
sandbox whose serving is meant to stay light, and atomic transactions, so a `kill -9` in the
middle of a write leaves the previous write whole (write-ahead log, `synchronous=NORMAL`: a
commit survives the process dying; only an OS crash may lose the last one). One row per
namespace holds its whole state (`persist.encode`); the table `meta` says which format and
version wrote the file.

Write-behind, dirty-tracked: a request to a namespace (and the live loop, when it expired or
sent something there) marks its sandbox dirty; a flush once a second from the app's lifespan
writes the dirty namespaces (a namespace that did not change costs nothing) and deletes the
rows of dropped ones, and a last flush of everything runs at shutdown (SIGTERM, SIGINT). So a
graceful stop loses nothing and a `kill -9` the changes of the last second or so.

Encoding a namespace costs ~20 µs per stored session (pickle, in C): 1-2 s for a namespace of
60,000, far too long to pause the server's loop every second. So, as Redis's background save
does, a live flush forks: the child encodes its copy-on-write image of the state (consistent: it
cannot change under it) and commits it, then exits; the loop pays the fork (milliseconds) and
goes on serving. One child at a time, and after a child that took longer than a second the next
flush waits as long again (so children run at most half the time, on another core): under a
heavy load on a big namespace the window a `kill -9` may lose is twice the child's time (README
"Reliability"). If a
child fails, its namespaces stay dirty and go with the next flush. The final flush at shutdown
encodes in the process itself. Without fork() (Windows) every flush does, and the pause after a
flush is then at least 9 times what it took, so persistence takes at most a tenth of the loop.

At start every row is read and checked (format, version, each state decodes) before anything
is written: a file from another version, or a damaged one, stops the start with a message that
names it, and the file is left as it was.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import threading
import time
from pathlib import Path

from sandbox import __version__, persist
from sandbox.namespaces import DEFAULT, Full, Namespaces
from sandbox.state import Sandbox

log = logging.getLogger("sandbox")

FILENAME = "sandbox.sqlite3"
# Where fork() exists, a live server's flushes encode and write in a child: the loop pays the fork only.
FORK = hasattr(os, "fork")
INTERVAL = 1.0  # seconds between flushes, at least
SHARE = 9  # the pause after a flush is at least SHARE times what it took on the loop


class StateDirError(Exception):
    """The state directory cannot be used; the message says which file and why."""


class StateDir:
    def __init__(self, directory: str | Path) -> None:
        self.path = Path(directory) / FILENAME
        self._db: sqlite3.Connection | None = None
        self._saved: set[str] = set()  # namespaces with a row
        self._lock = threading.Lock()  # a write cancelled at shutdown still runs in its thread as the last one starts
        self._child: int | None = None  # the flushing child, while it runs
        self.last_child_seconds = 0.0
        self.flushes = 0
        self.last_flush_seconds = 0.0

    def _refuse(self, why: str) -> StateDirError:
        return StateDirError(
            f"{self.path}: {why}. The file was left as it was; move it away or choose another --state-dir."
        )

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
            rows = [] if fresh else self._read(db)
            restored = [(name, self._decode(name, blob, namespaces)) for name, blob in rows]
        except BaseException:
            db.close()
            raise
        for name, sandbox in restored:
            try:
                target = namespaces.default if name == DEFAULT else namespaces.get(name)
            except Full:
                continue  # over --max-namespaces: the row stays, and comes back with a larger limit
            persist.restore_into(target, sandbox)
            target.dirty = False
            self._saved.add(name)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute("CREATE TABLE IF NOT EXISTS namespaces (name TEXT PRIMARY KEY, state BLOB NOT NULL)")
        db.execute(
            "INSERT OR REPLACE INTO meta VALUES ('format', ?), ('version', ?)", (str(persist.FORMAT), __version__)
        )
        self._db = db
        return len(self._saved)

    def _read(self, db: sqlite3.Connection) -> list[tuple[str, bytes]]:
        try:
            meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
            if meta.get("format") != str(persist.FORMAT) or meta.get("version") != __version__:
                raise self._refuse(
                    f"it was written by sandbox {meta.get('version')!r} (format {meta.get('format')!r}); this is "
                    f"sandbox {__version__} (format {persist.FORMAT}), which reads only its own"
                )
            rows = db.execute("SELECT name, state FROM namespaces ORDER BY rowid").fetchall()
        except sqlite3.Error as error:
            raise self._refuse(f"not a sandbox state database ({error})") from None
        if not all(isinstance(name, str) and isinstance(blob, bytes) for name, blob in rows):
            raise self._refuse("not a sandbox state database (a row of the wrong type)")
        return rows

    def _decode(self, name: str, blob: bytes, namespaces: Namespaces) -> Sandbox:
        try:
            return persist.decode(blob, namespaces.settings, namespaces.providers, namespaces.courier)
        except persist.SnapshotError as error:
            raise self._refuse(f"the state of namespace {name!r} cannot be loaded: {error}") from None

    async def flush(self, namespaces: Namespaces, *, final: bool = False) -> int:
        """Write every namespace changed since the last flush (`final`: every namespace), forget
        dropped ones; returns how many were written. Between flushes of a live server the writing
        runs in a forked child (see the module docstring); the final one runs here."""
        if self._db is None:
            return 0
        if self._child is not None:  # a final flush waits for the last child: one writer at a time
            with contextlib.suppress(ChildProcessError):  # reaped meanwhile by the cancelled flush's thread
                await asyncio.to_thread(os.waitpid, self._child, 0)
            self._child = None
        named = namespaces.named()
        dirty = [(name, sandbox) for name, sandbox in named if sandbox.dirty or final]
        gone = sorted(self._saved - {name for name, _ in named})
        if not dirty and not gone:
            return 0
        for _, sandbox in dirty:
            sandbox.dirty = False
        started = time.perf_counter()
        if final or not FORK:
            rows = [(name, persist.encode(sandbox, name)) for name, sandbox in dirty]
            self.last_flush_seconds = time.perf_counter() - started
            await asyncio.to_thread(self._write, rows, gone)
        else:
            pid = os.fork()
            if pid == 0:  # the child: encode its copy of the state, write it, and go
                code = 1
                try:
                    rows = [(name, persist.encode(sandbox, name)) for name, sandbox in dirty]
                    with contextlib.closing(sqlite3.connect(self.path, timeout=60, isolation_level=None)) as db:
                        self._commit(db, rows, gone)
                    code = 0
                finally:
                    os._exit(code)
            self.last_flush_seconds = time.perf_counter() - started  # what the loop paid: the fork
            self._child = pid
            _, status = await asyncio.to_thread(os.waitpid, pid, 0)
            self._child = None
            self.last_child_seconds = time.perf_counter() - started
            if os.waitstatus_to_exitcode(status) != 0:
                for _, sandbox in dirty:  # written next time
                    sandbox.dirty = True
                log.warning("writing the state to %s failed; retrying at the next flush", self.path)
                return 0
        self._saved = (self._saved - set(gone)) | {name for name, _ in dirty}
        self.flushes += 1
        return len(dirty)

    def _write(self, rows: list[tuple[str, bytes]], gone: list[str]) -> None:
        with self._lock:
            if self._db is not None:
                self._commit(self._db, rows, gone)

    @staticmethod
    def _commit(db: sqlite3.Connection, rows: list[tuple[str, bytes]], gone: list[str]) -> None:
        with db:
            db.execute("BEGIN")
            db.executemany("INSERT OR REPLACE INTO namespaces (name, state) VALUES (?, ?)", rows)
            db.executemany("DELETE FROM namespaces WHERE name = ?", [(name,) for name in gone])

    async def run(self, namespaces: Namespaces) -> None:
        """Flush once a second, until cancelled; after a long flush, wait as long as its child took
        (a child is then alive half the time at most), or SHARE times what the loop paid."""
        while True:
            await asyncio.sleep(max(INTERVAL, self.last_child_seconds, SHARE * self.last_flush_seconds))
            await self.flush(namespaces)

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
