"""Writing a file atomically, and removing what a killed writer left behind.

Files are written to a temporary file in the same folder, flushed to disk,
then renamed over the target, so a crash never leaves half a file where a
good one was. Temporaries a killed writer left behind are removed by the next
write to the same target (see `write_atomically`).
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

STALE_AFTER = 600.0  # seconds without a write after which anyone's temporary is abandoned


def write_atomically(path: Path, write: Callable[[Any], Any]) -> None:
    """Call ``write(file)`` on a temporary file beside `path`, then rename it to `path`.

    The temporary is named ``.NAME.PID.XXXXXXXX.tmp``; a writer killed before
    its rename leaves it behind, and the next write to `path` removes it once
    its process is gone or it has not changed for `STALE_AFTER` seconds.
    """
    folder = path.parent
    remove_stale_temporaries(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp",
                                         dir=folder)
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, _mode_for(path))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _mode_for(path: Path) -> int:
    """The permissions the written file gets: those of the file it replaces, else what a
    plain ``open(path, "w")`` would give (0o666 less the umask), not mkstemp's private 0o600."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)  # reading the umask means setting it; put it straight back
        os.umask(umask)
        return 0o666 & ~umask


def remove_stale_temporaries(path: Path) -> list[Path]:
    """Remove the abandoned temporaries of earlier writes to `path`; returns them.

    Only regular files named as `write_atomically` names them for this very
    target are candidates: those whose writer process no longer exists, or
    (a writer on another machine, a reused process id) that have not been
    written for `STALE_AFTER` seconds.
    """
    pattern = re.compile(re.escape(f".{path.name}.") + r"(\d+)\.[a-z0-9_]{8}\.tmp")
    removed = []
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return removed  # the write itself will report a missing or unreadable folder
    now = time.time()
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        try:
            if not match or not entry.is_file(follow_symlinks=False):
                continue
            stale = now - entry.stat(follow_symlinks=False).st_mtime > STALE_AFTER
            if stale or not _process_exists(int(match.group(1))):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue  # gone already, or not ours to remove
    return removed


def _process_exists(pid: int) -> bool:
    """Whether a process `pid` runs on this machine (True when that cannot be told)."""
    if os.name != "posix" or pid <= 0:  # Windows' os.kill(pid, 0) would stop the process
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # another user's process; or a number no pid can be
    return True
