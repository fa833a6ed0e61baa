"""The two languages users read: Chinese first, then English (reports, exports, messages; ``--lang``)."""

from __future__ import annotations

from typing import Literal, cast

from dianta.errors import UsageError

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")


def check_lang(lang: str) -> Lang:
    """``lang`` when it is zh or en; else :class:`UsageError` naming both."""
    if lang in LANGS:
        return cast(Lang, lang)
    raise UsageError.of("bad_lang", what="--lang", lang=lang)
