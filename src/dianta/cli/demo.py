"""``dianta demo``: a sample province through the same path as real data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dianta.cli._output import console, err

app = typer.Typer()


@app.command()
def demo(folder: Annotated[Path, typer.Option("--dir", help="where the sample batches, store and exports go")]
         = Path("dianta-demo"),
         enterprises: Annotated[int, typer.Option(help="number of enterprises")] = 500) -> None:
    """Build a realistic sample province, ingest it, compute every account and print where to look."""
    from dianta.demo.run import run_demo

    run_demo(folder, enterprises=enterprises, console=console, err=err)
