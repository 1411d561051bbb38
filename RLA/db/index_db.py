"""The query index's SQLite file: what :mod:`RLA.db.index` keeps of every item, and how it is kept.

One file per database, ``<data_root>/.rla_index/index-v<N>.sqlite3``, in WAL mode: readers never
wait, writers take turns (a short transaction each), and a process killed mid-write leaves the last
committed state (SQLite's own journal). Commits are not synced to disk (``synchronous=NORMAL``): a
power cut may lose the last ones, which the next listing finds again in the files. The file is a
cache: one of another version is never read (a new version is a new file name; older files are
removed), a damaged one is deleted and rebuilt, and a database where it cannot be written (read
only) gets one in memory for the call.

Tables: ``items`` (one row per item, what is read from its files), ``p<tid>`` (per RLA table, one
column per parameter key, for ``-w`` in SQL), ``folders`` (the mtimes of the date folders listed),
``metrics`` (metric values of progress.csv, per item and key) and ``meta``. A ``p<tid>`` of many
items gets indexes of the columns listings filter or sort it by, as they are asked for
(:meth:`IndexDB.param_index`): a cache as the rest.
"""
from __future__ import annotations

import fcntl
import json
import os
import random
import re
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, NamedTuple, Optional, Sequence, Set, Tuple, Union

from RLA.db.layout import Database

__all__ = ["INDEX_VERSION", "MAX_PARAM_COLUMNS", "IndexDB", "StoredRow", "sql_value", "param_cells", "decode_text",
           "encode_text", "index_path"]

#: the layout of the file; a new one is a new file name (an old file is never misread)
INDEX_VERSION = 9
#: parameter keys of one table stored as their own column at most (SQLite allows 2,000 columns); the
#: keys beyond are compared from the item's parameters as stored (slower, same results)
MAX_PARAM_COLUMNS = 1900
#: seconds a writer waits for another one before giving up
BUSY_TIMEOUT = 60.0
#: items a table holds from which listings that filter or sort it by parameters index their columns
#: (below, reading every row is about as fast as an index)
PARAM_INDEX_FROM = 20_000
#: indexes of parameter columns a table gets at most (each costs every write of the table a little)
MAX_PARAM_INDEXES = 12
_FILE_PREFIX = "index-v"
_SUFFIX = ".sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tables_ (tid INTEGER PRIMARY KEY, archived INTEGER NOT NULL, task NOT NULL,
    items INTEGER NOT NULL DEFAULT 0, UNIQUE (archived, task));
CREATE TABLE IF NOT EXISTS folders (tid INTEGER NOT NULL, data_type INTEGER NOT NULL, folder TEXT NOT NULL,
    mtime INTEGER, PRIMARY KEY (tid, data_type, folder)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY, tid INTEGER NOT NULL, date TEXT NOT NULL, name NOT NULL, start TEXT,
    presence INTEGER NOT NULL, sizes TEXT NOT NULL, params TEXT NOT NULL, tracked TEXT NOT NULL,
    status TEXT NOT NULL, running INTEGER NOT NULL, pid INTEGER, heartbeat TEXT,
    last_time_step INTEGER, rows INTEGER, host, ip, end_time, damage TEXT, tags NOT NULL, note NOT NULL,
    sig_log INTEGER, sig_progress INTEGER, sig_outputs INTEGER, sig_snapshot INTEGER,
    recheck INTEGER NOT NULL, written INTEGER NOT NULL, size INTEGER,
    UNIQUE (tid, date, name));
CREATE INDEX IF NOT EXISTS items_recheck ON items (tid) WHERE recheck;
CREATE INDEX IF NOT EXISTS items_unmeasured ON items (tid) WHERE size IS NULL;
CREATE TRIGGER IF NOT EXISTS items_added AFTER INSERT ON items BEGIN
    UPDATE tables_ SET items = items + 1 WHERE tid = new.tid; END;
CREATE TRIGGER IF NOT EXISTS items_removed AFTER DELETE ON items BEGIN
    UPDATE tables_ SET items = items - 1 WHERE tid = old.tid; END;
CREATE TABLE IF NOT EXISTS param_keys (tid INTEGER NOT NULL, key TEXT NOT NULL, col INTEGER NOT NULL,
    PRIMARY KEY (tid, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS metrics (id INTEGER NOT NULL, key TEXT NOT NULL, progress INTEGER,
    final, last, low, high, PRIMARY KEY (id, key)) WITHOUT ROWID;
"""

#: the columns of ``items`` read back into a :class:`StoredRow`
_ROW_COLUMNS = ("id, date, name, presence, status, running, pid, heartbeat, host, sig_log, sig_progress, "
                "sig_outputs, sig_snapshot, recheck, written")


class StoredRow(NamedTuple):
    """What a refresh needs of an item's row to decide whether to read the item again."""

    id: int
    date: str
    name: str
    presence: int  # bit i: the item has data type i
    status: str
    running: bool  # run.json said running (the shown status may be lost)
    pid: Optional[int]
    heartbeat: Optional[str]
    host: Optional[str]
    signature: Optional[Tuple[Optional[int], Optional[int], int, int]]  # None: read the item again
    recheck: int
    written: int


def index_path(db: Database) -> Path:
    """Where the index of ``db`` is kept."""
    return db.index_dir() / f"{_FILE_PREFIX}{INDEX_VERSION}{_SUFFIX}"


def encode_text(text: str) -> Union[str, bytes]:
    """A name as SQLite can hold it: text, or the bytes of a folder name that is not UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape")
    return text


def decode_text(value: Union[str, bytes]) -> str:
    """The inverse of :func:`encode_text`."""
    return value.decode("utf-8", "surrogateescape") if isinstance(value, bytes) else value


def sql_value(value: Any) -> Any:
    """A parameter value in its column: int, float and str as themselves (bool as 0/1, which Python
    compares as such), anything else (None, lists, NaN, huge ints, text SQLite cannot hold) as the
    bytes of its JSON, which :mod:`RLA.db.where_sql` compares in Python."""
    kind = type(value)
    if kind is str:
        if value.isascii():
            return value
        try:
            value.encode("utf-8")
            return value
        except UnicodeEncodeError:
            pass
    elif kind is bool:
        return int(value)
    elif kind is int:
        if -(2 ** 63) <= value < 2 ** 63:
            return value
    elif kind is float:
        if value == value:
            return value
    return json.dumps(value).encode("ascii")


def param_cells(params: Dict[str, Any]) -> Dict[str, Any]:
    """An item's flat parameters as their columns hold them (:func:`sql_value`)."""
    return {key: sql_value(value) for key, value in params.items()}


def param_value(stored: Any) -> Any:
    """A parameter value read back from its column (bools come back as 0/1: comparisons only)."""
    return json.loads(stored) if isinstance(stored, bytes) else stored


class IndexDB:
    """An open index: one SQLite connection, used by one thread."""

    def __init__(self, connection: sqlite3.Connection, path: Optional[Path]):
        self.conn = connection
        self.path = path  # None: in memory
        self._columns: Dict[int, Dict[str, int]] = {}  # param_columns read in the write transaction under way
        # (table, parameter keys) -> the statement storing them, and which keys have a column (None: all)
        self._param_statements: Dict[Tuple[int, Tuple[str, ...]], Tuple[str, Optional[List[bool]]]] = {}

    # -- opening -------------------------------------------------------------------------------------
    @classmethod
    def open(cls, db: Database) -> "IndexDB":
        """The index of ``db``: its file, created when missing, rebuilt when damaged; in memory
        when the file cannot be written."""
        path = index_path(db)
        try:
            return cls._open_file(path)
        except sqlite3.DatabaseError as error:
            if not _damaged(error):
                return cls.memory()
        _remove_damaged(path)
        try:
            return cls._open_file(path)
        except sqlite3.DatabaseError:
            return cls.memory()

    @classmethod
    def memory(cls) -> "IndexDB":
        """An empty index in memory: for a database whose folder cannot hold one."""
        connection = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        connection.executescript(_SCHEMA)
        return cls(connection, None)

    @classmethod
    def _open_file(cls, path: Path) -> "IndexDB":
        created = not path.exists()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise sqlite3.OperationalError(str(error)) from None
        connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False)
        try:
            if connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                _switch_to_wal(connection)
            connection.execute("PRAGMA synchronous=NORMAL")
            present = _schema_present(connection)  # a file that is not SQLite fails here
            if present == 0:  # in one transaction: a process opening it meanwhile sees all of it or none
                connection.executescript(f"BEGIN IMMEDIATE;\n{_SCHEMA}\nCOMMIT;")
            elif present != len(_SCHEMA_NAMES):
                raise sqlite3.DatabaseError("the index file lacks some of its tables")
        except BaseException:
            connection.close()
            raise
        if created:
            _remove_older_versions(path.parent)
        return cls(connection, path)

    def close(self) -> None:
        self.conn.close()

    # -- transactions --------------------------------------------------------------------------------
    @contextmanager
    def writing(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (others wait for it); every write moves the generation."""
        self.conn.execute("BEGIN IMMEDIATE")
        self._columns.clear()  # another process may have added columns since
        self._param_statements.clear()
        try:
            yield self.conn
            self.conn.execute("INSERT INTO meta VALUES ('generation', 1) ON CONFLICT (key) "
                              "DO UPDATE SET value = value + 1")
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    def generation(self) -> int:
        """A number that changes with every write to the index (by any process)."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return int(row[0]) if row else 0

    # -- RLA tables ----------------------------------------------------------------------------------
    def tables(self, archived: bool) -> Dict[str, int]:
        """The RLA tables the index holds: task -> table id."""
        return {decode_text(task): tid for tid, task in
                self.conn.execute("SELECT tid, task FROM tables_ WHERE archived = ?", (int(archived),))}

    def table_id(self, task: str, archived: bool) -> int:
        """The id of an RLA table, added when new (in a write transaction)."""
        found = self.conn.execute("SELECT tid FROM tables_ WHERE archived = ? AND task = ?",
                                  (int(archived), encode_text(task))).fetchone()
        if found:
            return found[0]
        tid = self.conn.execute("INSERT INTO tables_ (archived, task) VALUES (?, ?)",
                                (int(archived), encode_text(task))).lastrowid
        assert tid is not None
        self.conn.execute(f"CREATE TABLE IF NOT EXISTS p{tid} (id INTEGER PRIMARY KEY)")
        return tid

    def counts(self, tids: Sequence[int]) -> Dict[int, int]:
        """How many items each table holds."""
        return {tid: n for tid, n in self.conn.execute(
            f"SELECT tid, items FROM tables_ WHERE tid IN ({','.join('?' * len(tids))})", list(tids))}

    def drop_table(self, tid: int) -> None:
        """Forget an RLA table that is gone from disk (in a write transaction)."""
        ids = "SELECT id FROM items WHERE tid = ?"
        self.conn.execute(f"DELETE FROM metrics WHERE id IN ({ids})", (tid,))
        for table in ("items", "folders", "param_keys", "tables_"):
            self.conn.execute(f"DELETE FROM {table} WHERE tid = ?", (tid,))
        self.conn.execute(f"DROP TABLE IF EXISTS p{tid}")

    # -- folders -------------------------------------------------------------------------------------
    def folders(self, tid: int) -> Dict[Tuple[int, str], Optional[int]]:
        """``(data type number, folder) -> mtime`` of the date folders listed last time ("" is the
        table's folder; None: listed too soon after a change to trust)."""
        return {(t, f): m for t, f, m in
                self.conn.execute("SELECT data_type, folder, mtime FROM folders WHERE tid = ?", (tid,))}

    def set_folders(self, tid: int, changed: Dict[Tuple[int, str], Optional[int]],
                    gone: Iterable[Tuple[int, str]]) -> None:
        self.conn.executemany("INSERT OR REPLACE INTO folders VALUES (?, ?, ?, ?)",
                              [(tid, t, f, m) for (t, f), m in changed.items()])
        self.conn.executemany("DELETE FROM folders WHERE tid = ? AND data_type = ? AND folder = ?",
                              [(tid, t, f) for t, f in gone])

    # -- items ---------------------------------------------------------------------------------------
    def rows_of_dates(self, tid: int, dates: Sequence[str]) -> List[StoredRow]:
        out: List[StoredRow] = []
        for start in range(0, len(dates), 500):
            chunk = dates[start:start + 500]
            out += map(_stored, self.conn.execute(
                f"SELECT {_ROW_COLUMNS} FROM items WHERE tid = ? AND date IN ({','.join('?' * len(chunk))})",
                (tid, *chunk)))
        return out

    def rows_to_recheck(self, tid: int) -> List[StoredRow]:
        return list(map(_stored, self.conn.execute(
            f"SELECT {_ROW_COLUMNS} FROM items WHERE tid = ? AND recheck", (tid,))))

    def row_of(self, tid: int, date: str, name: str) -> Optional[StoredRow]:
        found = self.conn.execute(f"SELECT {_ROW_COLUMNS} FROM items WHERE tid = ? AND date = ? AND name = ?",
                                  (tid, date, encode_text(name))).fetchone()
        return _stored(found) if found else None

    def write_item(self, tid: int, values: Dict[str, Any], cells: Dict[str, Any],
                   seen: Optional[Tuple[int, int]], force: bool = False) -> Optional[int]:
        """Store an item's row (in a write transaction); ``values`` are the columns of ``items``.

        Unless ``force``, the row is written only if it is still the one ``seen`` (its id and
        ``written`` count when it was read; None: there was none): a process that read the files
        earlier never overwrites what another wrote since. Returns the row's id, None when not written.
        """
        columns = list(values)
        if seen is None:
            cursor = self.conn.execute(
                f"INSERT INTO items ({', '.join(columns)}, written) VALUES ({', '.join('?' * len(columns))}, 1) "
                + ("ON CONFLICT (tid, date, name) DO UPDATE SET "
                   + ", ".join(f"{c} = excluded.{c}" for c in columns) + ", written = written + 1" if force
                   else "ON CONFLICT (tid, date, name) DO NOTHING"),
                list(values.values()))
            if cursor.rowcount != 1:
                return None
            if force:  # an upsert: the row may be an old one
                item_id = self.conn.execute("SELECT id FROM items WHERE tid = ? AND date = ? AND name = ?",
                                            (tid, values["date"], values["name"])).fetchone()[0]
                self.conn.execute("DELETE FROM metrics WHERE id = ?", (item_id,))
            else:
                item_id = cursor.lastrowid
        else:
            cursor = self.conn.execute(
                f"UPDATE items SET {', '.join(f'{c} = ?' for c in columns)}, written = written + 1 "
                f"WHERE id = ?" + ("" if force else " AND written = ?"),
                [*values.values(), seen[0], *(() if force else (seen[1],))])
            if cursor.rowcount != 1:
                return None
            item_id = seen[0]
            self.conn.execute("DELETE FROM metrics WHERE id = ?", (item_id,))
        self._write_params(tid, item_id, cells)
        return item_id

    def set_sizes(self, measured: Sequence[Tuple[int, int, List[Optional[int]]]]) -> None:
        """Store the sizes of items whose folders were measured: ``(id, written, sizes)``, each
        written unless the row was written again since (in a write transaction)."""
        self.conn.executemany("UPDATE items SET sizes = ?, size = ? WHERE id = ? AND written = ?",
                              [(json.dumps(sizes), sum(s for s in sizes if s is not None), item_id, written)
                               for item_id, written, sizes in measured])

    def unmeasured(self, tid: int) -> List[Tuple[int, int, str, str, int, List[Optional[int]]]]:
        """``(id, written, date, name, presence, sizes)`` of the table's items with a folder not measured."""
        return [(item_id, written, date, decode_text(name), presence, json.loads(sizes))
                for item_id, written, date, name, presence, sizes in self.conn.execute(
                    "SELECT id, written, date, name, presence, sizes FROM items WHERE tid = ? AND size IS NULL",
                    (tid,))]

    def update_status(self, row: StoredRow, status: str, recheck: int) -> None:
        """A running item's shown status, as its liveness says now (in a write transaction)."""
        self.conn.execute("UPDATE items SET status = ?, recheck = ? WHERE id = ? AND written = ?",
                          (status, recheck, row.id, row.written))

    def delete_items(self, tid: int, rows: Iterable[StoredRow]) -> None:
        """Forget items gone from disk (in a write transaction), unless written since they were seen."""
        for row in rows:
            if self.conn.execute("DELETE FROM items WHERE id = ? AND written = ?", (row.id, row.written)).rowcount:
                self.conn.execute(f"DELETE FROM p{tid} WHERE id = ?", (row.id,))
                self.conn.execute("DELETE FROM metrics WHERE id = ?", (row.id,))

    # -- parameters ----------------------------------------------------------------------------------
    def param_columns(self, tid: int) -> Dict[str, int]:
        """Parameter key -> its column number in ``p<tid>`` (0: stored in ``items.params`` only)."""
        return {key: col for key, col in
                self.conn.execute("SELECT key, col FROM param_keys WHERE tid = ?", (tid,))}

    def param_index(self, tid: int, columns: Sequence[int]) -> None:
        """An index of ``p<tid>`` on these columns in this order, made if no index starts with them and
        the table holds :data:`PARAM_INDEX_FROM` items or more. Made in a write transaction of its own, only if no
        other process writes now (a later listing makes it then): readers never wait for it, and a
        listing never waits for a writer to make one."""
        name = f"p{tid}_" + "_".join(f"c{c}" for c in columns)
        made = [found for (found,) in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND "
                                                         "tbl_name = ?", (f"p{tid}",))]
        if (any(found == name or found.startswith(name + "_") for found in made)  # one of these columns first
                or len(made) >= MAX_PARAM_INDEXES or self.counts([tid]).get(tid, 0) < PARAM_INDEX_FROM):
            return
        self.conn.execute("PRAGMA busy_timeout = 0")
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:  # another process writes (or the file is read only)
            return
        finally:
            self.conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
        try:
            self.conn.execute(f"CREATE INDEX IF NOT EXISTS {name} ON p{tid} ({', '.join(f'c{c}' for c in columns)})")
            self.conn.execute("COMMIT")
        except sqlite3.DatabaseError:  # a full disk: the listings read every row, as without it
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")

    def param_keys(self, tids: Sequence[int]) -> List[str]:
        """Every parameter key items of these tables have (or had), sorted."""
        keys: Set[str] = set()
        for tid in tids:
            keys.update(row[0] for row in self.conn.execute("SELECT key FROM param_keys WHERE tid = ?", (tid,)))
        return sorted(keys)

    def insert_new(self, tid: int, columns: Sequence[str],
                   rows: Sequence[Tuple[Sequence[Any], Dict[str, Any]]]) -> List[Optional[int]]:
        """Store the rows of items the index did not have (a new index: many at once, in a write
        transaction); ``rows`` are ``(values of columns, parameter cells)``. The ids of the rows, None for one
        another process wrote meanwhile (it is kept)."""
        if not rows:
            return []
        first = self.conn.execute("SELECT coalesce(max(id), 0) + 1 FROM items").fetchone()[0]
        self.conn.executemany(
            f"INSERT INTO items (id, tid, {', '.join(columns)}, written) VALUES (?, ?{', ?' * len(columns)}, 1) "
            "ON CONFLICT (tid, date, name) DO NOTHING",
            [(first + n, tid, *values) for n, (values, _) in enumerate(rows)])
        taken = {i for (i,) in self.conn.execute("SELECT id FROM items WHERE id >= ?", (first,))}
        ids: List[Optional[int]] = [i if i in taken else None for i in range(first, first + len(rows))]
        statements: Dict[str, List[List[Any]]] = {}
        for item_id, (_, cells) in zip(ids, rows):
            if item_id is not None:
                sql, values = self._param_row(tid, item_id, cells)
                statements.setdefault(sql, []).append(values)
        for sql, many in statements.items():
            self.conn.executemany(sql, many)
        return ids

    def _write_params(self, tid: int, item_id: int, cells: Dict[str, Any]) -> None:
        self.conn.execute(*self._param_row(tid, item_id, cells))

    def _param_row(self, tid: int, item_id: int, cells: Dict[str, Any]) -> Tuple[str, List[Any]]:
        """The statement storing an item's parameter cells (:func:`param_cells`) in their columns
        (columns added for new keys), and its values."""
        keys = tuple(cells)
        statement = self._param_statements.get((tid, keys))
        if statement is None:
            statement = self._param_statements[(tid, keys)] = self._param_statement(tid, keys)
        sql, kept = statement
        if kept is None:
            return sql, [item_id, *cells.values()]
        return sql, [item_id, *(v for keep, v in zip(kept, cells.values()) if keep)]

    def _param_statement(self, tid: int, keys: Tuple[str, ...]) -> Tuple[str, Optional[List[bool]]]:
        """The statement storing parameters ``keys`` of the table's items, and which of them have a
        column (None: every one): columns are added for new keys, up to MAX_PARAM_COLUMNS."""
        columns = self._columns.get(tid)
        if columns is None:
            columns = self._columns[tid] = self.param_columns(tid)
        new = [key for key in keys if key not in columns]
        if new:
            used = max([0, *columns.values()])
            for key in new:
                if used < MAX_PARAM_COLUMNS:
                    used += 1
                    self.conn.execute(f"ALTER TABLE p{tid} ADD COLUMN c{used}")
                    columns[key] = used
                else:
                    columns[key] = 0
                self.conn.execute("INSERT INTO param_keys VALUES (?, ?, ?)", (tid, key, columns[key]))
        stored = [f"c{columns[k]}" for k in keys if columns[k]]
        kept = [bool(columns[k]) for k in keys]
        sql = f"INSERT OR REPLACE INTO p{tid} (id{''.join(', ' + c for c in stored)}) VALUES (?{', ?' * len(stored)})"
        return sql, None if all(kept) else kept


def _stored(row: tuple) -> StoredRow:
    (item_id, date, name, presence, status, running, pid, heartbeat, host, sig_log, sig_progress, sig_outputs,
     sig_snapshot, recheck, written) = row
    signature = None if sig_outputs is None else (sig_log, sig_progress, sig_outputs, sig_snapshot)
    return StoredRow(item_id, date, decode_text(name), presence, status, bool(running), pid, heartbeat, host,
                     signature, recheck, written)


_SCHEMA_NAMES = re.findall(r"CREATE \w+ IF NOT EXISTS (\w+)", _SCHEMA)


def _switch_to_wal(connection: sqlite3.Connection) -> None:
    """Put a new index file in WAL mode. SQLite refuses at once ("database is locked", without
    waiting as it does for a write) while another process reads the file to do the same; with many
    runs starting at once, each tries again after a moment, for up to BUSY_TIMEOUT."""
    deadline = time.monotonic() + BUSY_TIMEOUT
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(random.uniform(0.005, 0.05))


def _schema_present(connection: sqlite3.Connection) -> int:
    """How many of the tables, indexes and triggers of the schema are there."""
    return connection.execute(f"SELECT count(*) FROM sqlite_master WHERE name IN "
                              f"({','.join('?' * len(_SCHEMA_NAMES))})", _SCHEMA_NAMES).fetchone()[0]


def _damaged(error: sqlite3.DatabaseError) -> bool:
    """Whether ``error`` says the file is not a sound SQLite database (rather than locked or unwritable)."""
    if not isinstance(error, sqlite3.OperationalError):
        return True  # DatabaseError proper: "file is not a database", "database disk image is malformed"
    text = str(error)
    return "malformed" in text or "no such table" in text or "no such column" in text


def _remove_damaged(path: Path) -> None:
    """Delete a damaged index file (with its WAL), under a lock so that two processes finding it
    damaged at once delete it once, not each other's new file."""
    lock_path = path.with_name(path.name + ".lock")
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:
            pass
        try:
            with sqlite3.connect(path, timeout=BUSY_TIMEOUT) as probe:  # another process may have rebuilt it
                if (_schema_present(probe) == len(_SCHEMA_NAMES)
                        and probe.execute("PRAGMA quick_check").fetchone()[0] == "ok"):
                    return
        except sqlite3.DatabaseError:
            pass
        for suffix in ("", "-wal", "-shm"):
            try:
                os.unlink(f"{path}{suffix}")
            except OSError:
                pass
    finally:
        os.close(fd)


def _remove_older_versions(folder: Path) -> None:
    """Files of earlier index versions (and the JSON index of earlier releases): never read again."""
    import shutil

    for entry in os.listdir(folder):
        path = folder / entry
        if entry in ("live", "arc"):
            shutil.rmtree(path, ignore_errors=True)
        elif entry.startswith(_FILE_PREFIX) and not entry.startswith(f"{_FILE_PREFIX}{INDEX_VERSION}{_SUFFIX}"):
            try:
                os.unlink(path)
            except OSError:
                pass
