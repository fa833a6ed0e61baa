"""Files written whole or not at all (reports, exports): a temporary file beside the target, synced, then
renamed into place."""

from __future__ import annotations

import os
from pathlib import Path

from dianta.ledger.store import crash_point


def write_atomically(out: Path, data: bytes) -> None:
    """Write ``out`` whole or not at all: a temporary file beside it, synced, then renamed into place (a run
    killed meanwhile leaves ``out`` as it was, never truncated). A link, device or pipe is written in place."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.is_symlink() or (out.exists() and not out.is_file()):
        out.write_bytes(data)
        return
    temp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with temp.open("wb") as f:
            f.write(data)
            f.flush()
            crash_point("report.writing")
            os.fsync(f.fileno())
        os.replace(temp, out)
    finally:
        temp.unlink(missing_ok=True)
