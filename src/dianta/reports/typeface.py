"""The CJK typeface shipped with the package (reports/fonts/, built by scripts/build_font.py; OFL 1.1).

PDFs take it through WeasyPrint's ``@font-face`` (fonts/fonts.css); PNG labels are drawn by cairo, which finds
fonts only through fontconfig, so the font is added to this process's fontconfig configuration once. Either way
Chinese renders on a machine without CJK fonts installed.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

FONTS = Path(__file__).parent / "fonts"
FACES = ("NotoSansSC-Regular.woff2", "NotoSansSC-Bold.woff2")


@functools.cache
def register_with_fontconfig() -> None:
    """Make the shipped faces (family "Noto Sans CJK SC") available to cairo in this process.

    fontconfig reads OpenType, not WOFF2: the faces are unpacked once into a private temporary folder, removed at
    exit. Takes about 0.7 s, once per process, and only where a PNG is drawn.
    """
    from fontTools.ttLib import TTFont
    from weasyprint.text.ffi import ffi, fontconfig  # WeasyPrint's bindings of the system's libfontconfig

    folder = Path(tempfile.mkdtemp(prefix="dianta-fonts-"))
    atexit.register(shutil.rmtree, folder, True)
    for face in FACES:
        font = TTFont(FONTS / face)
        font.flavor = None
        path = folder / Path(face).with_suffix(".otf").name
        font.save(str(path))
        fontconfig.FcConfigAppFontAddFile(ffi.NULL, str(path).encode())
