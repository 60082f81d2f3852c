"""`careshift bench curtois|inrc2`: solve published benchmark instances with the engine.

::

    careshift bench curtois --instances 1,2,3 --time-limit 60 --workers 2
    careshift bench inrc2 --dir ../shared/benchmarks/inrc2 --instances n030w4_1_6-2-9-1 --json

Each instance is solved, its roster verified by the independent checker (the run stops
with an error if the engine's objective differs from the checker's cost or a hard rule is
broken), written in the benchmark's own solution format, and reported against the best
known bounds in the folder's ``best_known.csv``. The table goes to docs/benchmarks.md
(section ``curtois`` or ``inrc2``) unless ``--no-doc``.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import shlex
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from careshift.domain.errors import BenchmarkFormatError, CareshiftError

if TYPE_CHECKING:
    from careshift.domain.problem import RosterProblem
    from careshift.domain.schedule import Schedule
    from careshift.engine import Progress

REPO = Path(__file__).resolve().parents[3]
FOLDERS = {"curtois": "curtois_qu_nrp", "inrc2": "inrc2"}


class BenchSet(StrEnum):
    CURTOIS = "curtois"
    INRC2 = "inrc2"


@dataclass(frozen=True)
class BenchInstance:
    """One instance to solve: how to load it, where to write its roster, its known bounds."""

    name: str
    load: Callable[[], RosterProblem]
    write: Callable[[RosterProblem, Schedule, Path], None]
    best_lb: int | None
    best_ub: int | None


@dataclass(frozen=True)
class BenchRow:
    """One line of the benchmark table."""

    instance: str
    cost: int | None
    bound: float | None
    best_lb: int | None
    best_ub: int | None
    gap_pct: float | None
    time_to_best: float | None
    wall_time: float
    status: str
    checker_cost: int | None
    feasible: bool
    route: str = "whole_model"
    search: str = ""  # what the search did (``SolveResult.search``), e.g. column_rounds=31


class BenchError(CareshiftError):
    """The engine's roster disagrees with the checker (a bug, never a result to report)."""


def default_dir(which: BenchSet) -> Path:
    """``../shared/benchmarks/<set>`` beside the repository."""
    return REPO.parent / "shared" / "benchmarks" / FOLDERS[which.value]


def _int(value: str | None) -> int | None:
    text = (value or "").strip()
    return int(text) if text.lstrip("-").isdigit() else None


def curtois_instances(folder: Path, wanted: list[str]) -> list[BenchInstance]:
    """Instances listed in ``folder/best_known.csv`` (column ``instance``; bounds from the
    ``site_lb_c2022``/``site_ub_c2022`` columns, or ``lb``/``ub``)."""
    from careshift.adapters.benchmarks import curtois

    path = folder / "best_known.csv"
    try:
        rows = list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))
    except OSError as exc:
        raise BenchmarkFormatError(f"cannot read the instance list ({exc})", source=str(path)) from exc
    names = [f"Instance{item}" if item.isdigit() else item for item in wanted]
    found: list[BenchInstance] = []
    for row in rows:
        name = (row.get("instance") or "").strip()
        if not name or (names and name not in names):
            continue
        file = folder / f"{name}.txt"
        found.append(
            BenchInstance(
                name,
                lambda file=file: curtois.read_instance(file),  # type: ignore[misc]
                lambda p, s, out, name=name: curtois.write_solution(p, s, out / f"{name}.roster.txt"),  # type: ignore[misc]
                _int(row.get("site_lb_c2022", row.get("lb"))),
                _int(row.get("site_ub_c2022", row.get("ub"))),
            )
        )
    _all_found(names, [item.name for item in found], path)
    return found


def inrc2_instances(folder: Path, wanted: list[str]) -> list[BenchInstance]:
    """Instances listed in ``folder/best_known.csv`` with the static LOR2017 bounds."""
    from careshift.adapters.benchmarks import inrc2

    refs = inrc2.list_instances(folder)
    found: list[BenchInstance] = []
    for ref in refs:
        if wanted and ref.name not in wanted:
            continue
        scenario = inrc2.read_scenario(ref.scenario_path).name
        found.append(
            BenchInstance(
                ref.name,
                lambda ref=ref: inrc2.read_ref(ref),  # type: ignore[misc]
                lambda p, s, out, ref=ref, scenario=scenario: _write_inrc2(p, s, out, ref, scenario),  # type: ignore[misc]
                ref.static_lb,
                ref.static_ub,
            )
        )
    _all_found(wanted, [item.name for item in found], folder / "best_known.csv")
    return found


def _write_inrc2(problem: RosterProblem, schedule: Schedule, out: Path, ref: object, scenario: str) -> None:
    from careshift.adapters.benchmarks import inrc2

    assert isinstance(ref, inrc2.InstanceRef)
    inrc2.write_solution(problem, schedule, out / ref.name, ref.dataset, ref.weeks, scenario=scenario)


def _all_found(wanted: list[str], found: list[str], source: Path) -> None:
    missing = [name for name in wanted if name not in found]
    if missing:
        raise BenchmarkFormatError(
            f"instance(s) {', '.join(missing)} not listed; pick names from the instance column", source=str(source)
        )


def run_instance(
    item: BenchInstance, time_limit: float, workers: int, seed: int, out: Path, progress: Callable[[Progress], None]
) -> BenchRow:
    """Solve one instance, verify it with the checker, write its roster; one table row."""
    from careshift.domain.checker import check
    from careshift.engine import SolveOptions, solve

    problem = item.load()
    result = solve(problem, SolveOptions(time_limit=time_limit, workers=workers, seed=seed, progress=progress))
    checker_cost: int | None = None
    feasible = False
    if result.schedule is not None:
        report = check(problem, result.schedule)
        checker_cost, feasible = report.cost, report.feasible
        if not feasible:
            raise BenchError(f"{item.name}: the engine's roster breaks {len(report.hard_violations)} hard rule(s)")
        if checker_cost != result.objective:
            raise BenchError(f"{item.name}: engine objective {result.objective} != checker cost {checker_cost}")
        out.mkdir(parents=True, exist_ok=True)
        item.write(problem, result.schedule, out)
    gap = None
    if result.objective is not None and item.best_ub:
        gap = 100.0 * (result.objective - item.best_ub) / item.best_ub
    return BenchRow(
        instance=item.name,
        cost=result.objective,
        bound=result.best_bound if result.schedule is not None else None,
        best_lb=item.best_lb,
        best_ub=item.best_ub,
        gap_pct=gap,
        time_to_best=result.time_to_best,
        wall_time=result.wall_time,
        status=result.status,
        checker_cost=checker_cost,
        feasible=feasible,
        route=result.route,
        search=" ".join(f"{name}={value}" for name, value in result.search),
    )


def _cell(value: float | int | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def markdown(rows: list[BenchRow], time_limit: float, workers: int, load: tuple[float, float, float]) -> str:
    """The benchmark table in Markdown, with how it was run."""
    lines = [
        f"Time limit {time_limit:g} s per instance, {workers} CP-SAT workers; load average at start "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1/5/15 min; the machine is shared, so wall-clock "
        "results vary). Every roster was verified by `careshift.domain.checker`: cost = engine objective, "
        "no hard violation.",
        "",
        "| instance | our cost | our bound | best LB | best UB | gap to best UB % | time to best s | status |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        bound = _cell(row.bound, 0)
        lines.append(
            f"| {row.instance} | {_cell(row.cost)} | {bound} | {_cell(row.best_lb)} | {_cell(row.best_ub)} "
            f"| {_cell(row.gap_pct, 2)} | {_cell(row.time_to_best)} | {row.status} |"
        )
    return "\n".join(lines) + "\n"


def _write_doc(which: BenchSet, body: str, section: str | None) -> Path:
    spec = importlib.util.spec_from_file_location("careshift_bench_report", REPO / "benchmarks" / "report.py")
    if spec is None or spec.loader is None:
        raise BenchError(f"cannot load {REPO / 'benchmarks' / 'report.py'}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    title = {"curtois": "Curtois & Qu instances (engine)", "inrc2": "INRC-II static (engine)"}[which.value]
    name = section or which.value
    if section:
        title += f" — {section}"
    command = "PYTHONPATH=src python -m careshift " + " ".join(shlex.quote(arg) for arg in sys.argv[1:])
    path: Path = module.write_section(name, title, body, command=command)
    return path


def register(root: typer.Typer) -> None:
    """Add ``careshift bench`` to the root app."""

    @root.command("bench")
    def bench_command(
        which: Annotated[BenchSet, typer.Argument(help="Benchmark set.")],
        time_limit: Annotated[float, typer.Option("--time-limit", help="Seconds per instance.")],
        workers: Annotated[int, typer.Option("--workers", help="CP-SAT workers (threads).")] = 2,
        directory: Annotated[
            Path | None, typer.Option("--dir", help="Folder with best_known.csv (default ../shared/benchmarks/<set>).")
        ] = None,
        instances: Annotated[
            str, typer.Option("--instances", help="Comma-separated names (Curtois: numbers allowed); default all.")
        ] = "",
        seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
        out: Annotated[Path | None, typer.Option(help="Where solutions go (default benchmarks/out/<set>).")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON rows instead of a table.")] = False,
        doc: Annotated[bool, typer.Option("--doc/--no-doc", help="Write the table to docs/benchmarks.md.")] = True,
        section: Annotated[
            str | None, typer.Option(help="Section of docs/benchmarks.md (default: the set's name).")
        ] = None,
    ) -> None:
        """Solve benchmark instances, verify them with the checker, compare with the best known."""
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        folder = directory or default_dir(which)
        wanted = [item.strip() for item in instances.split(",") if item.strip()]
        listed = curtois_instances(folder, wanted) if which is BenchSet.CURTOIS else inrc2_instances(folder, wanted)
        target = out or REPO / "benchmarks" / "out" / which.value
        load = os.getloadavg()
        rows: list[BenchRow] = []
        console = Console(stderr=True)
        with Progress(
            TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console, transient=as_json
        ) as bar:
            task = bar.add_task(which.value, total=len(listed))
            for item in listed:
                bar.update(task, description=f"{item.name}: solving")

                def show(found: object, name: str = item.name) -> None:
                    bar.update(task, description=f"{name}: best {getattr(found, 'objective', '?')}")

                rows.append(run_instance(item, time_limit, workers, seed, target, show))
                bar.advance(task)
        body = markdown(rows, time_limit, workers, load)
        if as_json:
            typer.echo(json.dumps([asdict(row) for row in rows], indent=2))
        else:
            typer.echo(body)
        if doc:
            path = _write_doc(which, body, section)
            console.print(f"wrote {path}")
