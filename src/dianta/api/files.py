"""File answers of the API (reports, labels, exports, digests): one media type per format, attachment or inline,
and the Content-Security-Policy of a report page."""

from __future__ import annotations

from typing import Any

from fastapi.responses import Response

MEDIA = {"json": "application/json", "csv": "text/csv; charset=utf-8", "pdf": "application/pdf",
         "html": "text/html; charset=utf-8", "svg": "image/svg+xml", "png": "image/png",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
#: shown in the browser rather than saved
INLINE = ("html", "svg", "png")
#: a report page carries its own styles and inline SVG charts, and nothing else
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"


def file_response(data: bytes | str, fmt: str, name: str) -> Response:
    """``data`` as the file ``name.fmt``: inline for pages and images (with :data:`REPORT_CSP` for HTML and SVG),
    an attachment otherwise."""
    disposition = "inline" if fmt in INLINE else "attachment"
    headers = {"Content-Disposition": f'{disposition}; filename="{name}.{fmt}"'}
    if fmt in ("html", "svg"):
        headers["Content-Security-Policy"] = REPORT_CSP
    return Response(data, media_type=MEDIA[fmt], headers=headers)


def file_formats(*formats: str) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` entry of a route answering a file in one of ``formats``."""
    return {200: {"content": {MEDIA[f]: {} for f in formats}}}
