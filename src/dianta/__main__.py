"""``python -m dianta`` is the ``dianta`` command."""

from dianta.cli import app

app(prog_name="dianta")
