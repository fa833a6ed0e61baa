"""Project checks that run with the tests: lint and types of the domain packages (STYLE.md 11)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_ruff_is_clean():
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "src", "tests"], cwd=ROOT, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stdout


def test_mypy_is_clean_on_the_whole_package():
    proc = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout


def test_glossary_page_is_up_to_date():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from build_glossary import OUT, render
    finally:
        sys.path.pop(0)
    assert OUT.read_text(encoding="utf-8") == render(), "run python scripts/build_glossary.py"


def test_warnings_fail_the_suite_only_from_diantas_own_code(tmp_path: Path):
    """STYLE.md 11, issue 14: a third-party deprecation (WeasyPrint's about a missing HarfBuzz library) must not fail
    a fresh machine's test run; a warning raised by Dianta's code still does."""
    (tmp_path / "test_warnings.py").write_text(
        "import warnings\n"
        "def test_third_party():\n"
        "    warnings.warn_explicit('old API', DeprecationWarning, 'weasyprint/text.py', 1, module='weasyprint')\n"
        "def test_dianta():\n"
        "    warnings.warn_explicit('careful', UserWarning, 'dianta/calc/x.py', 1, module='dianta.calc.x')\n",
        encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-c", str(ROOT / "pyproject.toml"), "--rootdir",
                           str(tmp_path), "-p", "no:cacheprovider", "-n", "0", str(tmp_path / "test_warnings.py")],
                          cwd=tmp_path, capture_output=True, text=True)
    assert "1 failed, 1 passed, 1 warning" in proc.stdout, proc.stdout  # the deprecation is shown, not fatal
    assert "FAILED test_warnings.py::test_dianta - UserWarning: careful" in proc.stdout, proc.stdout


def test_package_data_lists_exactly_the_files_the_package_has():
    """Issue 14: every pattern of pyproject's package-data matches a file, and every data file under src/dianta is
    matched (so a wheel carries the templates, fonts, reference data and dashboard)."""
    import glob
    import tomllib

    package = ROOT / "src" / "dianta"
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"][
        "package-data"]["dianta"]
    matched: set[Path] = set()
    for pattern in patterns:
        files = {Path(f) for f in glob.glob(str(package / pattern), recursive=True) if Path(f).is_file()}
        assert files, f"package-data pattern {pattern!r} matches nothing"
        matched |= files
    data = {p for p in package.rglob("*") if p.is_file() and p.suffix not in {".py", ".pyc"}}
    assert sorted(str(p.relative_to(package)) for p in data - matched) == []


def test_version_is_the_same_in_the_package_and_the_changelog():
    import tomllib

    import dianta

    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    newest = next(line for line in (ROOT / "CHANGELOG.md").read_text(encoding="utf-8").splitlines()
                  if line.startswith("## "))
    assert dianta.__version__ == version and newest.split()[1] == version, (dianta.__version__, version, newest)


def test_the_shipped_cjk_font_has_every_character_of_the_packages_text():
    """reports/fonts/ (scripts/build_font.py) covers the Chinese of the templates, catalogues, code tables and
    dashboard text, so none of it falls back to a system font (a machine may have none)."""
    from fontTools.ttLib import TTFont

    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from build_font import package_text
    finally:
        sys.path.pop(0)
    from dianta.reports.typeface import FACES, FONTS

    cjk = ((0x3000, 0x303F), (0x3400, 0x9FFF), (0xFF00, 0xFFEF))  # what falls back to boxes without a CJK font
    needed = {c for c in package_text() if any(lo <= ord(c) <= hi for lo, hi in cjk)}
    for face in FACES:
        cmap = TTFont(FONTS / face).getBestCmap()
        assert sorted(c for c in needed if ord(c) not in cmap) == [], f"{face}: run python scripts/build_font.py"


def test_dashboard_field_catalogue_is_up_to_date():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from build_glossary import OUT_JS, render_js
    finally:
        sys.path.pop(0)
    assert OUT_JS.read_text(encoding="utf-8") == render_js(), "run python scripts/build_glossary.py"
