"""The CJK typeface shipped with the package (reports/fonts/, built by scripts/build_font.py; OFL 1.1).

PDFs take it through WeasyPrint's ``@font-face``; PNG labels are drawn by cairo, which finds
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
def opentype_faces() -> tuple[Path, ...]:
    """The shipped faces unpacked from WOFF2 to OpenType, once per process (about 0.7 s), into a private temporary
    folder removed at exit: fontconfig reads only OpenType, and WeasyPrint would otherwise unpack the WOFF2 for every
    PDF (0.2 s each)."""
    from fontTools.ttLib import TTFont

    folder = Path(tempfile.mkdtemp(prefix="dianta-fonts-"))
    atexit.register(shutil.rmtree, folder, True)
    paths = []
    for face in FACES:
        font = TTFont(FONTS / face)
        font.flavor = None
        path = folder / Path(face).with_suffix(".otf").name
        font.save(str(path))
        paths.append(path)
    return tuple(paths)


def font_faces_css() -> str:
    """The ``@font-face`` rules of the shipped family "Dianta Sans SC" (regular, bold) for WeasyPrint."""
    regular, bold = opentype_faces()
    return "".join(f'@font-face {{ font-family: "Dianta Sans SC"; src: url("{path.as_uri()}"); '
                   f"font-weight: {weight}; }}\n" for path, weight in ((regular, 400), (bold, 700)))


@functools.cache
def register_with_fontconfig() -> None:
    """Make the shipped faces (family "Noto Sans CJK SC") available to cairo in this process."""
    from weasyprint.text.ffi import ffi, fontconfig  # WeasyPrint's bindings of the system's libfontconfig

    for path in opentype_faces():
        fontconfig.FcConfigAppFontAddFile(ffi.NULL, str(path).encode())
