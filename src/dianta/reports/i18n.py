"""The report's words in Chinese or English (``messages.toml``) and number formatting with units."""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from dianta.glossary import ALERTS, FLAGS, OUTPUTS
from dianta.lang import Lang


@cache
def catalogue() -> dict[str, dict[str, list[str]]]:
    with (Path(__file__).parent / "messages.toml").open("rb") as f:
        return tomllib.load(f)


@dataclass(frozen=True, slots=True)
class Words:
    """``t("report_title")`` → the text in ``lang``; ``num``/``pct``/``kwh``… format values for people."""

    lang: Lang

    def _pick(self, pair: list[str]) -> str:
        return pair[0] if self.lang == "zh" else pair[1]

    def t(self, key: str, **fields: object) -> str:
        text = self._pick(catalogue()["text"][key])
        return text.format(**fields) if fields else text

    def q(self, name: str) -> str:
        """The name of an output quantity (a record field, ``electricity.peak_kw``) from the glossary."""
        quantity = OUTPUTS[name]
        return quantity.zh if self.lang == "zh" else quantity.en

    def indicator(self, key: str) -> tuple[str, str]:
        """An indicator's (name, definition): the name from the glossary, the definition from the messages."""
        return self.q(key), self._pick(catalogue()["indicators"][key])

    def alert(self, code: str) -> str:
        """An alert's name: a §6 kind from the glossary (:data:`dianta.glossary.ALERTS`), a park's from the messages."""
        kind = ALERTS.get(code)
        if kind is not None:
            return kind.zh if self.lang == "zh" else kind.en
        return self._pick(catalogue()["alerts"][code])

    def flag(self, code: str) -> str:
        """A flag's text from the glossary (:data:`dianta.glossary.FLAGS`); the code itself for an unknown one."""
        f = FLAGS.get(code)
        return code if f is None else f.zh if self.lang == "zh" else f.en

    def flag_note(self, code: str) -> str:
        """What a flag means (empty for a flag the catalogue does not know)."""
        return self._pick(catalogue()["flag_notes"].get(code, ["", ""]))

    def word(self, table: str, code: object) -> str:
        """The word for a code of a catalogue table (``technologies``, ``market_methods``, ``areas``…); the code
        itself only when the catalogue does not know it (a test keeps every code the platform emits known)."""
        return self._pick(catalogue()[table].get(str(code), [str(code), str(code)]))

    def advice(self, key: str, **fields: object) -> str:
        return self._pick(catalogue()["advice"][key]).format(**fields)

    @staticmethod
    def num(x: object, digits: int = 0) -> str:
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return "—"
        return f"{float(x):,.{digits}f}"  # type: ignore[arg-type]

    def pct(self, x: object, digits: int = 1) -> str:
        return "—" if x is None else f"{float(x) * 100:.{digits}f} %"  # type: ignore[arg-type]

    def with_unit(self, x: object, unit: str, digits: int = 0) -> str:
        return "—" if x is None else f"{self.num(x, digits)} {unit}"


def colours(name: str) -> tuple[str, str]:
    """A label colour name of the profile → (fill, text) colours."""
    fill, text = catalogue()["colours"].get(name, ["#777777", "#ffffff"])
    return fill, text
