"""Project checks that run with the tests: lint and types of the domain packages (STYLE.md 11)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_ruff_is_clean():
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "src", "tests"], cwd=ROOT, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stdout


def test_mypy_is_clean_on_the_calculation():
    proc = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout


def test_glossary_page_is_up_to_date():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from build_glossary import OUT, render
    finally:
        sys.path.pop(0)
    assert OUT.read_text(encoding="utf-8") == render(), "run python scripts/build_glossary.py"


def test_dashboard_field_catalogue_is_up_to_date():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from build_glossary import OUT_JS, render_js
    finally:
        sys.path.pop(0)
    assert OUT_JS.read_text(encoding="utf-8") == render_js(), "run python scripts/build_glossary.py"
