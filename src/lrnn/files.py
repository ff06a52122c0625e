"""Writing files safely: whole or not at all, and only where writing can succeed.

Every file lrnn writes (models, checkpoints, histories, plots, reports, ONNX graphs) goes
through :func:`atomic_write_bytes`; every output path is tried with :func:`check_writable`
before any work starts; :func:`clean_stale_temp_files` removes what a killed writer left.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import os
import re
import secrets
import shlex
import stat
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from lrnn.errors import UsageError

#: Temporary files older than this are stale even if their writer's pid is alive (pid reuse).
STALE_TEMP_SECONDS = 3600

#: What follows the prefix in a temporary file's name: the writer's pid and 4 random bytes.
_TEMP_SUFFIX = re.compile(r"([0-9]{1,10})-[0-9a-f]{8}")


#: How many symbolic links a path may pass through before it counts as a loop (Linux's own).
_MAX_LINKS = 40


def write_target(path: str | os.PathLike) -> str:
    """The file a write to ``path`` replaces: ``path`` itself, or, when it is a symbolic link,
    the file the link names (followed link by link), so the link is kept, as a shell's ``>``
    keeps it. A link is followed only as the kernel's ``protected_symlinks`` rule would let a
    shell follow it: not in a sticky, world-writable folder (``/tmp``) when the link belongs to
    someone else than the caller and the folder's owner — a link planted there must not turn
    lrnn's output into a write over another file."""
    name = os.fspath(path)
    # ``..`` is left to the file system (after a linked folder it is not the text's parent)
    target = _absolute(name)
    try:
        for _ in range(_MAX_LINKS):
            try:
                link = os.lstat(target)
            except (FileNotFoundError, NotADirectoryError):
                return target
            if not stat.S_ISLNK(link.st_mode):
                return target
            folder = os.path.dirname(target)
            here = os.stat(folder)
            shared = here.st_mode & stat.S_ISVTX and here.st_mode & stat.S_IWOTH
            if shared and link.st_uid not in (os.geteuid(), here.st_uid):
                raise UsageError(
                    f"{name}: is a symbolic link in the shared folder {folder} that belongs to "
                    "another user; lrnn does not write through it — give the path of the file "
                    "itself, or another name."
                )
            target = os.path.join(folder, os.readlink(target))
    except OSError as e:  # a loop in a folder of the path, a name too long, no permission
        raise _unwritable(name, e) from e
    raise UsageError(f"{name}: its symbolic links form a loop; give a file name.")


def _unwritable(name: str, e: OSError) -> UsageError:
    """An output path the system refuses, said in one line (not as an errno)."""
    return UsageError(
        f"{name}: cannot be written there ({e.strerror or type(e).__name__}); choose another path."
    )


def _absolute(path: str) -> str:
    """``path`` from the root, as written: unlike ``os.path.abspath``, ``..`` is not removed
    by text, which would be wrong after a folder that is a link."""
    return path if os.path.isabs(path) else os.path.join(os.getcwd(), path)


def _temp_prefix(path: str) -> str:
    """``.<name>.tmp-``; a long name is cut (with a digest of the rest), so that the temporary
    file's name stays within the 255 bytes a file system allows however long the output's is."""
    name = os.path.basename(path)
    raw = os.fsencode(name)  # the file system's bytes: a name that is not UTF-8 has surrogates
    if len(raw) > 200:
        digest = hashlib.sha256(raw).hexdigest()[:12]
        name = os.fsdecode(raw[:100]) + "~" + digest
    return f".{name}.tmp-"


def _temp_name(target: str) -> str:
    """A new temporary file's path beside ``target``: ``.<name>.tmp-<pid>-<8 hex digits>``,
    what :data:`_TEMP_SUFFIX` recognises."""
    folder = os.path.dirname(_absolute(target))
    return os.path.join(folder, f"{_temp_prefix(target)}{os.getpid()}-{secrets.token_hex(4)}")


#: Inside :func:`all_or_nothing`: the (temporary file, target) pairs written but not renamed.
_staged: contextvars.ContextVar[list[tuple[str, str]] | None] = contextvars.ContextVar(
    "staged", default=None
)


@contextlib.contextmanager
def all_or_nothing() -> Iterator[None]:
    """A command's outputs written together: inside, :func:`atomic_write_bytes` writes each
    file's temporary copy in full but replaces nothing; on leaving, the copies are renamed
    into place one after another. If anything fails first (a full disk at the third file, a
    plot that cannot be drawn), every copy is removed and no output has changed — a command
    that fails must not leave the old model replaced by the new one."""
    pending: list[tuple[str, str]] = []
    token = _staged.set(pending)
    try:
        yield
    except BaseException:
        for tmp, _ in pending:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise
    finally:
        _staged.reset(token)
    for tmp, target in pending:
        os.replace(tmp, target)
        _fsync_dir(os.path.dirname(target))


@contextlib.contextmanager
def scratch_folder(prefix: str) -> Iterator[str]:
    """A temporary folder for files that are read back at once (a report's pictures, drawn
    and then inlined): they are written straight away, even inside :func:`all_or_nothing`."""
    token = _staged.set(None)
    try:
        with tempfile.TemporaryDirectory(prefix=prefix) as folder:
            yield folder
    finally:
        _staged.reset(token)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never a mix.
    A symbolic link is followed (see :func:`write_target`): the file it names is replaced, and
    the new file takes the old one's permission bits (not its owner: the writer owns it).

    The temporary file ``.<name>.tmp-<pid>-<random>`` sits in the same folder (a rename across
    file systems is not atomic); its pid lets :func:`clean_stale_temp_files` tell a crashed
    writer's leftovers from a live writer's file.
    """
    target = write_target(path)  # a link's file is replaced, the link kept
    folder = os.path.dirname(target)
    while True:
        tmp = _temp_name(target)
        try:
            # O_EXCL: never follow a planted symlink; mode 0o666 lets the umask decide.
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        with contextlib.suppress(FileNotFoundError):  # the file replaced keeps its permissions
            os.chmod(tmp, os.stat(target).st_mode & 0o777)  # not set-user/group-ID bits
        if not_a_regular_file(target):  # appeared since the plan checked it
            raise UsageError(f"{os.fspath(path)}: is not a regular file; give a file name.")
        staged = _staged.get()
        if staged is not None:  # renamed with the command's other outputs
            staged.append((tmp, target))
            return
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(folder)


def _fsync_dir(folder: str) -> None:
    """Make the rename itself durable; some systems cannot open folders, which is fine."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists but is not ours, or we cannot tell: keep its file
    return True


def clean_stale_temp_files(path: str | os.PathLike) -> int:
    """Remove ``.<name>.tmp-*`` files left next to ``path`` by writers that died.

    A file is stale when its writer's pid is gone, or when it is older than an hour (the pid
    may have been reused). Returns how many files were removed.
    """
    try:
        target = write_target(path)  # where atomic_write_bytes writes
    except UsageError:  # a link it would refuse to follow: nothing of lrnn's is there
        return 0
    folder, prefix = os.path.dirname(target), _temp_prefix(target)
    removed = 0
    try:
        names = os.listdir(folder)
    except OSError:
        return 0
    now = time.time()
    for entry in names:
        # Only names atomic_write_bytes makes (<pid>-<8 hex digits>): a user's own
        # ".model.safetensors.tmp-backup" is not lrnn's to remove.
        written = _TEMP_SUFFIX.fullmatch(entry[len(prefix) :]) if entry.startswith(prefix) else None
        if written is None:
            continue
        full = os.path.join(folder, entry)
        try:
            age = now - os.lstat(full).st_mtime
        except OSError:
            continue
        alive = _pid_alive(int(written.group(1)))
        if alive and age < STALE_TEMP_SECONDS:
            continue
        try:
            os.unlink(full)
            removed += 1
        except OSError:
            pass
    return removed


def not_a_regular_file(path: str | os.PathLike) -> bool:
    """Whether ``path`` (or what its link points to) exists and is not a plain file: /dev/null,
    a FIFO, a socket. Renaming a new file over it would destroy it (as root, /dev/null)."""
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError:
        return False  # a dangling link or no permission: the write itself will say
    return not stat.S_ISREG(mode)


def check_writable(path: str | os.PathLike, example: str = "model.safetensors") -> None:
    """Fail before training, not after: the model must be writable where the user asked.
    ``example``: a file name of the kind written, for the messages' way out."""
    name = os.fspath(path)
    try:
        _check_writable(name, example)
    except OSError as e:  # a name too long, a loop among the folders: one line, not an errno
        raise _unwritable(name, e) from e


def _check_writable(name: str, example: str) -> None:
    if name.endswith(("/", os.sep)):
        raise UsageError(f"{name}: ends with '/'; give a file name such as {example}.")
    p = Path(name)
    if p.is_dir():
        raise UsageError(f"{name}: is a folder; give a file name such as {example}.")
    if not_a_regular_file(name):
        raise UsageError(
            f"{name}: is not a regular file (a device, a pipe or a socket), and writing the "
            f"output would replace it; give a file name such as {example}."
        )
    target = write_target(name)  # a link's file is replaced (refused: a planted link, a loop)
    folder = Path(target).parent
    if p.is_file() and not os.stat(name).st_mode & 0o222:
        raise UsageError(
            f"{name}: is read-only, and writing the output would replace it; make it writable "
            f"(chmod u+w {shlex.quote(name)}) or choose another path."
        )
    if not folder.is_dir():
        raise UsageError(
            f"{name}: the folder {folder} does not exist; create it or choose another path."
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(
            f"{name}: the folder {folder} is not writable; choose another path or fix its "
            "permissions."
        )
    # os.access says yes to root everywhere, also on a read-only mount or in /proc: make the
    # temporary file the real write will make (named as atomic_write_bytes names them, so a
    # crash in between leaves a file the next run removes), and remove it.
    probe = _temp_name(target)
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        os.unlink(probe)
    except OSError as e:
        raise UsageError(
            f"{name}: cannot write in the folder {folder} ({e.strerror or type(e).__name__}); "
            "choose another path."
        ) from e


#: The suffixes each kind of output can be written as (None: any name).
OUTPUT_SUFFIXES: dict[str, tuple[str, ...] | None] = {
    "model": None,
    "checkpoint": None,
    "plot": (".png",),
    "history": (".csv", ".json"),
    "report": (".html", ".htm"),
}


def lrnn_wrote(path: Path, kind: str) -> bool:
    """Whether the file at ``path`` is lrnn's own of this kind, which an output may replace:
    a model or checkpoint by its metadata, a plot, report or history by its mark."""
    return lrnn_file(path, kind) if kind in ("model", "checkpoint") else written_by_lrnn(path, kind)


def keep_others_files(path: str | os.PathLike, kind: str) -> None:
    """The command line's rule for its outputs, kept by the library's writers too
    (``LogisticNeuron.save``, :mod:`lrnn.plots`): an existing file is replaced only when lrnn
    wrote it (a data file given as a picture's path became a PNG), and a file is written
    only under a name its kind can have."""
    name = os.fspath(path)
    allowed = OUTPUT_SUFFIXES[kind]
    if allowed and Path(name).suffix.lower() not in allowed:
        raise UsageError(
            f"{name}: a {kind} is written as {allowed[0][1:].upper()}; give a name ending in "
            f"{' or '.join(allowed)}."
        )
    p = Path(name)
    if p.is_file() and not lrnn_wrote(p, kind):
        raise UsageError(
            f"{name} already exists and is not an lrnn {kind}, so it is left alone; give "
            "another path, or move that file away."
        )


#: How lrnn marks the files it writes, so a default path never replaces someone else's file.
PNG_SOFTWARE = "lrnn"
HTML_GENERATOR = '<meta name="generator" content="lrnn'


def lrnn_file(path: Path, kind: str) -> bool:
    """A safetensors file whose header carries lrnn's metadata for this kind of file (a model
    is never replaced by a checkpoint, nor a checkpoint by a model)."""
    import json
    import struct

    from lrnn import persist

    try:
        with open(path, "rb") as f:
            head = f.read(8)
            if len(head) < 8:
                return path.stat().st_size == 0  # an empty file holds nothing to lose
            (size,) = struct.unpack("<Q", head)
            if size > persist.MAX_HEADER_BYTES:
                return False
            header = json.loads(f.read(size))
        text = (header.get("__metadata__") or {}).get("lrnn") if isinstance(header, dict) else None
        meta = json.loads(text) if isinstance(text, str) else None
        wanted = persist.MODEL_FORMAT if kind == "model" else persist.CHECKPOINT_FORMAT
        return isinstance(meta, dict) and meta.get("format") == wanted
    except (OSError, ValueError, UnicodeDecodeError, AttributeError, RecursionError):
        return False


#: Outputs whose files lrnn recognises as its own, so that an existing file is replaced only
#: when lrnn wrote it (as a model or checkpoint is): a photo given as --plot, a data CSV as
#: --history or a page as --report used to be overwritten without a word.
WITH_A_MARK = ("plot", "history", "report")


def written_by_lrnn(path: Path, kind: str) -> bool:
    """Does this file carry lrnn's mark (a PNG text chunk, the report's generator tag)?"""
    try:
        if kind == "plot":
            from PIL import Image

            with Image.open(path) as img:
                return str(img.info.get("Software", "")).startswith(PNG_SOFTWARE)
        if kind == "report":
            with open(path, "rb") as f:
                return HTML_GENERATOR.encode() in f.read(4096)
        if kind == "history":  # a header (CSV) or keys (JSON) of lrnn's history columns only
            from lrnn.history import HISTORY_COLUMNS, REQUIRED_HISTORY_KEYS

            if path.suffix.lower() == ".json":  # {"iteration": [...], "cost": [...], ...}
                return _json_history(path, REQUIRED_HISTORY_KEYS, HISTORY_COLUMNS)
            with open(path, "rb") as f:
                start = f.read(4096).decode("utf-8", errors="replace")
            header = start.split("\n", 1)[0].strip().split(",")
            ours = all(key in HISTORY_COLUMNS for key in header)  # a column of notes: not ours
            return ours and all(key in header for key in REQUIRED_HISTORY_KEYS)
    except (OSError, ValueError):
        return False
    return False


def _json_history(path: Path, keys: Sequence[str], columns: Sequence[str]) -> bool:
    """Whether a JSON file is an object of lrnn's history columns, ``keys`` among them: its
    keys (a name before a list: the lists hold numbers only) are read a block at a time, as a
    long history holds its first column's whole list before the next key (read up to the size
    a history of 10⁶ records takes)."""
    wanted, found = set(keys), set()
    with open(path, "rb") as f:
        if not f.read(2) == b'{"':
            return False
        f.seek(0)
        tail = b""
        for _ in range(64 * 1024):  # blocks of 4 KiB: at most 256 MiB
            block = f.read(4096)
            text = tail + block
            found.update(k.decode("utf-8", "replace") for k in _JSON_KEY.findall(text))
            if not block:
                return wanted <= found <= set(columns)
            tail = text[-(_LONGEST_KEY + 8) :]
    return False


#: A history's key as JSON writes it before its list, and the longest one looked for.
_JSON_KEY = re.compile(rb'"([^"\\]{1,100})": ?\[')
_LONGEST_KEY = 100
