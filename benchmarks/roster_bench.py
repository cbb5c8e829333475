"""Roster reading benchmark: a normal county roster against hostile and oversized files.

Writes the files into a temporary directory (not timed), then reads and checks each one with
``yinhui.roster.load_roster`` in its own process, so the peak memory printed is that file's
alone (the child's peak resident memory, interpreter and openpyxl included: about 40 MB).

Files:
  normal-2000.xlsx / .csv   the demo county's roster (1,988 cadres), as an operator imports it
  huge-cell.xlsx            151 KB file, one address of 50,000,000 characters
  huge-cell-cjk.xlsx        the same in Chinese characters (150 MB unpacked)
  stray-cell.xlsx           3 cadres, then 50,000 rows holding only one stray cell in column XFD
  long-field.csv            one address of 200,000 characters (over csv's 131,072 limit)
  long-texts.xlsx           2,000 rows, each a 300-character name and a 2,000-character address
  all-bad.csv               50,000 rows, each with five problems (250,000 in all)

Targets: the normal roster in a second or two and under 100 MB; every hostile file refused or
reported within seconds and under 100 MB, with at most 200 problems listed.

Usage (from the repository root):

    .venv/bin/python benchmarks/roster_bench.py
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

AS_OF = dt.date(2026, 1, 1)


def _normal(directory: Path) -> dict[str, Path]:
    from yinhui.demo.county import build_county
    from yinhui.demo.sheets import write_roster

    county = build_county(as_of=AS_OF)
    paths = {}
    for suffix in ("xlsx", "csv"):
        path = directory / f"normal-2000.{suffix}"
        write_roster(county, path)
        paths[path.name] = path
    return paths


def _hostile(directory: Path) -> dict[str, Path]:
    from tests.roster.rawxlsx import Huge, numbered, write_raw_xlsx
    from tests.roster.sheets import ROSTER_HEADERS_ZH, roster_row
    from yinhui.roster import make_id_number

    paths: dict[str, Path] = {}

    def add(name: str, write: Callable[[Path], object]) -> None:
        path = directory / name
        write(path)
        paths[name] = path

    address = ROSTER_HEADERS_ZH.index("住址")
    huge = roster_row()
    huge[address] = Huge(50_000_000, "a")
    add("huge-cell.xlsx", lambda p: write_raw_xlsx(p, numbered([ROSTER_HEADERS_ZH, huge])))
    cjk = roster_row()
    cjk[address] = Huge(50_000_000, "路")
    add("huge-cell-cjk.xlsx", lambda p: write_raw_xlsx(p, numbered([ROSTER_HEADERS_ZH, cjk])))

    def people(count: int, **cells: object) -> list[list[object]]:
        rows = []
        for i in range(count):
            born = dt.date(1940, 1, 1) + dt.timedelta(days=i // 500)
            number = make_id_number("140823", born, i % 500, "M")
            rows.append(roster_row(身份证号=number, 出生日期=born.isoformat(), **cells))
        return rows

    def stray(path: Path) -> None:
        rows = numbered([ROSTER_HEADERS_ZH, *people(3)])
        rows += [(n, [(16384, "x")]) for n in range(5, 50_005)]
        write_raw_xlsx(path, rows)

    add("stray-cell.xlsx", stray)

    def long_field(path: Path) -> None:
        row = roster_row()
        row[address] = "路" * 200_000
        _csv(path, [ROSTER_HEADERS_ZH, row])

    add("long-field.csv", long_field)
    add("long-texts.xlsx", lambda p: write_raw_xlsx(
        p, numbered([ROSTER_HEADERS_ZH, *people(2000, 姓名="王" * 300, 住址="路" * 2000)])))

    def all_bad(path: Path) -> None:
        bad = roster_row(姓名="", 身份证号="", 类别="", 乡镇社区="", 村小区="", 住址="某地")
        _csv(path, [ROSTER_HEADERS_ZH, *([bad] * 50_000)])

    add("all-bad.csv", all_bad)
    return paths


def _csv(path: Path, rows: Sequence[Sequence[object]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(rows)


def measure(path: Path) -> dict[str, object]:
    """Run in the child: read and check one file, report time, peak memory and the outcome."""
    from yinhui.roster import RosterFileError, load_roster

    start = time.perf_counter()
    try:
        check = load_roster(path, today=AS_OF)
        outcome = f"{len(check.records)} ok, {check.error_count:,} problems ({len(check.errors)} listed)"
    except RosterFileError as exc:
        outcome = "refused: " + exc.message("en").split(": ", 1)[1][:70]
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_mb": _peak_mb(), "outcome": outcome}


def _peak_mb() -> float:
    """This process's peak resident memory. On Linux from /proc (VmHWM): ``ru_maxrss`` keeps the
    parent's peak across fork and exec, so a child would report at least the parent's."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        files = {**_normal(directory), **_hostile(directory)}
        print(f"{'file':<20} {'size':>9} {'seconds':>8} {'peak MB':>8}  outcome")
        for name, path in files.items():
            done = subprocess.run(
                [sys.executable, __file__, "--measure", str(path)],
                capture_output=True, text=True, check=True, cwd=ROOT,
            )  # fmt: skip
            result = json.loads(done.stdout.strip().splitlines()[-1])
            size = path.stat().st_size
            shown = f"{size / 1024:,.0f} KB" if size < 10 * 1024 * 1024 else f"{size / 2**20:,.0f} MB"
            print(f"{name:<20} {shown:>9} {result['seconds']:>8.2f} {result['peak_mb']:>8.0f}  "
                  f"{result['outcome']}")  # fmt: skip


if __name__ == "__main__":
    main()
