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
rows of dropped ones, and a last flush runs at shutdown (SIGTERM, SIGINT). So a graceful stop
loses nothing and a `kill -9` the changes of the last second. Encoding runs on the server's
loop (the state must not change under it); the SQLite write runs in a thread. A big namespace
under load takes longer to encode, so the pause after a flush is at least 9 times what the
flush took on the loop: persistence never takes more than a tenth of the loop's time (the
window a `kill -9` may lose widens to match: README "Reliability").

At start every row is read and checked (format, version, each state decodes) before anything
is written: a file from another version, or a damaged one, stops the start with a message that
names it, and the file is left as it was.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

from sandbox import __version__, persist
from sandbox.namespaces import DEFAULT, Full, Namespaces
from sandbox.state import Sandbox

FILENAME = "sandbox.sqlite3"
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
            db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
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

    async def flush(self, namespaces: Namespaces) -> int:
        """Write every namespace changed since the last flush, forget dropped ones; returns how many were written."""
        if self._db is None:
            return 0
        started = time.perf_counter()
        rows = []
        for name, sandbox in namespaces.named():
            if sandbox.dirty:
                sandbox.dirty = False
                rows.append((name, persist.encode(sandbox, name)))
        current = {name for name, _ in namespaces.named()}
        gone = self._saved - current
        self.last_flush_seconds = time.perf_counter() - started
        if rows or gone:
            await asyncio.to_thread(self._write, rows, sorted(gone))
            self._saved = (self._saved - gone) | {name for name, _ in rows}
        self.flushes += 1
        return len(rows)

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
        """Flush once a second (or SHARE times the last flush's loop time), until cancelled."""
        while True:
            await asyncio.sleep(max(INTERVAL, SHARE * self.last_flush_seconds))
            await self.flush(namespaces)

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
