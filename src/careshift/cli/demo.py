"""`careshift demo`: generate a synthetic hospital, roster it naively, check it against
California Title 22 and sample house rules, and print what the checker finds; then seed a
database through the real adapters (see :mod:`careshift.cli.demo_seed`), plan and repair,
and serve the API on localhost with a sample development token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from careshift.domain.checker import CheckReport, Violation
    from careshift.domain.problem import RosterProblem
    from careshift.domain.rules.base import Rule
    from careshift.domain.schedule import Schedule
    from careshift.settings import Settings

WORST_EXAMPLES = 15


@dataclass(frozen=True)
class DemoRun:
    """Everything one demo run produced: the hospital, its naive roster, the rules it was
    checked under, the report, and the rules whose family has no checker yet."""

    seed: int
    weeks: int
    problem: RosterProblem
    schedule: Schedule
    rules: tuple[Rule, ...]
    report: CheckReport
    unchecked: tuple[Rule, ...]
    pack: str


def demo_rules(problem: RosterProblem) -> tuple[str, tuple[Rule, ...]]:
    """The rules the demo checks, and their label: the bundled California pack
    ``us-ca-title22`` (with its ``extends`` chain) plus the sample house rules."""
    from careshift.sim.california import PACK_ID, california_pack, house_rules

    return f"{PACK_ID} + house rules", california_pack()[1] + house_rules(tuple(unit.id for unit in problem.units))


def build_demo(seed: int, weeks: int, start: date | None = None) -> DemoRun:
    """Generate the hospital for ``seed`` (from ``start``, default the sim's DST week),
    roster it round-robin and check every rule.

    A rule whose family has no checker yet is reported as unchecked rather than
    failing the run.
    """
    import random
    from dataclasses import replace

    from careshift.domain.checker import CheckReport, check
    from careshift.policy import policy_version
    from careshift.sim import generate_hospital, naive_roster
    from careshift.sim.hospital import DEFAULT_START

    problem = generate_hospital(random.Random(seed), weeks=weeks, start=start or DEFAULT_START)
    pack, rules = demo_rules(problem)
    problem = replace(problem, rules=rules, policy_version=policy_version(rules))
    schedule = naive_roster(problem, random.Random(seed))
    violations: list[Violation] = []
    unchecked: list[Rule] = []
    for rule in rules:
        try:
            violations.extend(check(problem, schedule, [rule]).violations)
        except NotImplementedError:
            unchecked.append(rule)
    report = CheckReport(tuple(violations), policy_version=problem.policy_version)
    return DemoRun(seed, weeks, problem, schedule, rules, report, tuple(unchecked), pack)


def render(run: DemoRun, console: Console) -> None:
    """Print the violations grouped by rule, the worst examples and a summary line."""
    from rich.table import Table

    by_rule = Table(title=f"Violations by rule ({run.pack})", title_justify="left")
    for column, justify in (
        ("rule", "left"),
        ("what", "left"),
        ("level", "left"),
        ("where", "left"),
        ("count", "right"),
        ("amount", "right"),
        ("penalty", "right"),
    ):
        by_rule.add_column(column, justify=justify)  # type: ignore[arg-type]
    unchecked = {rule.id for rule in run.unchecked}
    for rule in run.rules:
        found = [v for v in run.report.violations if v.rule_id == rule.id]
        level = "hard" if rule.hard else f"soft ×{rule.weight}"
        where = rule.jurisdiction or "global"
        if rule.id in unchecked:
            by_rule.add_row(rule.id, rule.title, level, where, "-", "-", "not checked yet", style="dim")
            continue
        style = "red" if found and rule.hard else ("yellow" if found else "green")
        penalty = "-" if rule.hard else f"{sum(v.penalty for v in found):,}"
        by_rule.add_row(
            rule.id,
            rule.title,
            level,
            where,
            f"{len(found):,}",
            f"{sum(v.amount for v in found):,}",
            penalty,
            style=style,
        )
    console.print(by_rule)

    worst = Table(
        title=f"Worst examples, per rule in turn (hard rules first, at most {WORST_EXAMPLES})", title_justify="left"
    )
    for column in ("rule", "when", "staff", "amount", "penalty", "reason"):
        worst.add_column(column, overflow="fold")
    for violation in worst_examples(run.report, WORST_EXAMPLES):
        when = violation.at.strftime("%a %d %b %H:%M") if violation.at else (violation.day or "")
        worst.add_row(
            violation.rule_id,
            str(when),
            violation.staff or "",
            str(violation.amount),
            "-" if violation.hard else str(violation.penalty),
            violation.reason,
        )
    console.print(worst)
    console.print(summary_line(run))


def worst_examples(report: CheckReport, limit: int) -> list[Violation]:
    """Up to ``limit`` examples: the worst of each rule in turn (hard rules first), one
    per rule and day, so every breached rule shows before any shows twice. Within a rule,
    worst means the largest amount (hard) or penalty (soft); amounts of different rules
    are in different units and are never compared."""
    queues: dict[str, list[Violation]] = {}
    for violation in sorted(
        report.violations,
        key=lambda v: (-(v.amount if v.hard else v.penalty), str(v.at or v.day or ""), v.staff or ""),
    ):
        queue = queues.setdefault(violation.rule_id, [])
        if all(shown.day != violation.day for shown in queue):
            queue.append(violation)
    order = sorted(queues, key=lambda rule_id: (not queues[rule_id][0].hard, rule_id))
    shown: list[Violation] = []
    depth = 0
    while len(shown) < limit and any(len(queues[rule_id]) > depth for rule_id in order):
        for rule_id in order:
            if len(queues[rule_id]) > depth and len(shown) < limit:
                shown.append(queues[rule_id][depth])
        depth += 1
    return shown


def summary_line(run: DemoRun) -> str:
    """One line: the hospital, the rules, hard violations and the soft cost."""
    problem, report = run.problem, run.report
    verdict = "[red]infeasible[/red]" if report.hard_violations else "[green]feasible[/green]"
    return (
        f"seed {run.seed}: {len(problem.units)} units, {len(problem.staff)} staff, {len(run.schedule)} shifts over "
        f"{run.weeks} week(s) checked against {len(run.rules) - len(run.unchecked)} rules ({run.pack}, "
        f"policy version {problem.policy_version}): "
        f"{len(report.hard_violations):,} hard violations ({verdict}), soft cost {report.cost:,}"
    )


ALL_SCOPES = ("staffing.read", "staffing.decide", "staffing.approve", "staffing.admin")
DEMO_TOKEN_MINUTES = 8 * 60


def register(root: typer.Typer) -> None:
    """Add ``careshift demo`` to the root app."""

    @root.command("demo")
    def demo(
        seed: int = typer.Option(1, help="Seed of the synthetic hospital, its naive roster and the replayed day."),
        weeks: int = typer.Option(4, min=1, max=12, help="Length of the checked hospital's horizon in weeks."),
        serve: bool = typer.Option(
            True, "--serve/--no-serve", help="Serve the API on localhost afterwards (--no-serve: only seed)."
        ),
        db: str | None = typer.Option(
            None,
            "--db",
            help="Database URL (default: $CARESHIFT_DATABASE_URL or the SQLite file in the data directory)",
        ),
        force: bool = typer.Option(False, "--force", help="Replace a database the demo did not create."),
        start: str | None = typer.Option(
            None, "--start", help="First day of the hospital's roster, YYYY-MM-DD (default: today on its clock)."
        ),
        units: str = typer.Option(
            "", help="Comma-separated ids of the hospital's units to plan (default: all of them: icu,sdu,msu,ed)."
        ),
        time_limit: float = typer.Option(5.0, min=0.5, help="Optimiser time limit per plan or repair, seconds."),
        host: str = typer.Option("127.0.0.1", help="Interface the API listens on."),
        port: int = typer.Option(8000, min=1, max=65535, help="TCP port of the API."),
    ) -> None:
        """Seed the synthetic hospital through the real adapters, plan and repair, print its
        California rule violations, then serve the API with a sample development token."""
        from rich.console import Console
        from rich.markup import escape

        from careshift.cli.demo_seed import prepare_database, seed_database
        from careshift.cli.serve import build_api
        from careshift.domain.errors import DomainError
        from careshift.settings import Settings

        console = Console()
        settings = Settings()
        if serve and not settings.development:
            raise DomainError(
                f"serving the demo needs development keys, but CARESHIFT_ENVIRONMENT is {settings.environment!r}; "
                "run `make demo` or set CARESHIFT_ENVIRONMENT=development (or pass --no-serve to only seed)"
            )
        from careshift.sim.hospital import UNITS

        # Bad options fail before the database is touched.
        planned = _planned_units(units, tuple(plan.id for plan in UNITS))
        first_day = _first_day(start)
        url = db or settings.resolved_database_url()
        _ensure_parent(url)
        before = prepare_database(url, force=force)
        if before != "empty":
            console.print(
                f"[yellow]replaced the {'earlier demo' if before == 'demo' else 'existing'} database[/yellow]"
            )
        with console.status("generating the hospital and checking the roster..."):
            run = build_demo(seed, weeks, start=first_day)
        render(run, console)
        with console.status("seeding the store through the adapters...") as status:

            def progress(line: str) -> None:
                console.print(f"  [green]✓[/green] {escape(line)}")
                status.update(
                    "forecasting, planning and repairing the hospital's units (each solve up to --time-limit s)..."
                )

            report = seed_database(
                url, seed, run.problem, run.schedule, planned, time_limit=time_limit, progress=progress
            )
        counts = ", ".join(f"{unit}: {n}" for unit, n in sorted(report.recommendations.items()))
        console.print(f"seeded {_shown(url)}: recommendations per unit ({counts})")
        for unit, why in sorted(report.no_recommendation.items()):
            console.print(f"  {unit}: no recommendation: {escape(why)}")
        console.print(f"[dim]serve it again later: careshift serve --db {_shown(url)}[/dim]")
        if not serve:
            return
        import uvicorn

        app, services = build_api(url, planned, time_limit=time_limit, note=console.print)
        base = f"http://{host}:{port}"
        token = _demo_token(settings)
        console.print(f"careshift API on [bold]{base}/docs[/bold]")
        console.print(f"scheduler console: {base}/console/#token={token}", soft_wrap=True)
        console.print(f"sample development token (all scopes, {DEMO_TOKEN_MINUTES // 60} h):")
        console.print(token, soft_wrap=True)
        try:
            uvicorn.run(app, host=host, port=port, log_level="info")
        finally:
            services.close()


def _demo_token(settings: Settings) -> str:
    """A development token with every scope, signed by the locally generated key."""
    from careshift.api.auth import development_keys, mint
    from careshift.service.bootstrap import utc_now

    return mint(
        development_keys(settings.data_dir),
        subject="demo-user",
        scopes=ALL_SCOPES,
        now=utc_now(),
        role="nurse manager",
        minutes=DEMO_TOKEN_MINUTES,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )


def _first_day(option: str | None) -> date:
    """``--start``, or today on the synthetic hospital's clock (its roster and the planning
    horizon then start together)."""
    from careshift.domain.errors import InputError

    if option:
        try:
            return date.fromisoformat(option)
        except ValueError:
            raise InputError(f"--start {option!r} is not a date; write it as YYYY-MM-DD") from None
    from careshift.domain.time import zone
    from careshift.service.bootstrap import utc_now
    from careshift.sim.hospital import DEFAULT_TIMEZONE

    return utc_now().astimezone(zone(DEFAULT_TIMEZONE)).date()


def _planned_units(option: str, known: tuple[str, ...]) -> tuple[str, ...]:
    """The units ``--units`` names (all of ``known`` when empty); unknown ids are refused."""
    from careshift.domain.errors import DomainError

    chosen = tuple(unit.strip() for unit in option.split(",") if unit.strip()) or known
    unknown = [unit for unit in chosen if unit not in known]
    if unknown:
        raise DomainError(
            f"--units names {', '.join(unknown)}, not a unit of the synthetic hospital; choose from {', '.join(known)}"
        )
    return chosen


def _ensure_parent(url: str) -> None:
    from careshift.cli.demo_seed import sqlite_path

    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)


def _shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
