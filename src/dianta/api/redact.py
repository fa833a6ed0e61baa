"""What an HTTP response may say about the server: never a path of its file system (issue 12).

Error messages are written for the command line, where naming the store's folder or a file in it helps the
operator; the API answers a remote caller, who learns nothing useful from ``/srv/dianta/_tmp/upload-3f…`` but
the server's layout. Every error body the API sends passes through :func:`redact_paths`, which keeps only the
last part of each absolute path (the file name the caller sent, e.g. ``interval_readings.parquet``).
"""

from __future__ import annotations

import re

#: an absolute POSIX path of two or more parts, not preceded by a word character (``tCO2/10k``, ``2023/1/5``) or
#: part of a URL; the API's own routes (``/api/v1/…``) and the dashboard (``/app/…``) are left as they are
_PATH = re.compile(r"(?<![\w:/.~-])/(?!api/|app/)(?:[^\s'\"()\[\]{},;:/]+/)+[^\s'\"()\[\]{},;:/]*")


def redact_paths(text: str) -> str:
    """``text`` with each absolute path replaced by its last part (``/a/b/c.csv`` → ``c.csv``; a folder path
    ending in ``/`` by its last folder name)."""

    def last_part(match: re.Match[str]) -> str:
        parts = [p for p in match.group(0).split("/") if p]
        return parts[-1] if parts else "/"

    return _PATH.sub(last_part, text)
