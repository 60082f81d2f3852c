"""`careshift policy` commands: check a pack, diff two packs, list the bundled packs."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer

from careshift.domain.errors import PolicyError

if TYPE_CHECKING:
    from careshift.domain.rules import Rule
    from careshift.policy import PolicyPack

policy_app = typer.Typer(
    name="policy",
    help="Validate, compare and list policy packs (YAML rules with a content-hash version).",
    no_args_is_help=True,
)


def register(root: typer.Typer) -> None:
    """Add the ``policy`` command group to the root app."""
    root.add_typer(policy_app, name="policy")


def _load(ref: str) -> PolicyPack:
    """Load a pack, or print the error (file:line: message) and exit with status 2."""
    from careshift.policy import load_pack

    try:
        return load_pack(ref)
    except PolicyError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


def _short(value: object) -> str:
    from careshift.policy.params import plain

    value = plain(value)
    if isinstance(value, list):
        return "[" + ", ".join(_short(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {_short(item)}" for key, item in value.items()) + "}"
    if value is None:
        return "-"
    return str(value)


def _params(rule: Rule) -> str:
    from careshift.policy.params import spec_params

    return ", ".join(f"{key}={_short(value)}" for key, value in spec_params(rule.spec).items())


def _scope(rule: Rule) -> str:
    parts = [
        f"{name}={_short(values)}"
        for name, values in (
            ("units", rule.scope.units),
            ("roles", rule.scope.roles),
            ("contracts", rule.scope.contracts),
            ("staff", rule.scope.staff),
        )
        if values
    ]
    return ", ".join(parts) or "all"


def _effective(rule: Rule) -> str:
    if rule.effective_from is None and rule.effective_to is None:
        return "always"
    start = rule.effective_from.isoformat() if rule.effective_from else "…"
    end = rule.effective_to.isoformat() if rule.effective_to else "…"
    return f"{start} → {end}"


@policy_app.command("check")
def check_command(
    pack: Annotated[str, typer.Argument(help="A policy file, or the id of a bundled pack.")],
    on: Annotated[str | None, typer.Option(help="Show only the rules in effect on this day (YYYY-MM-DD).")] = None,
    as_yaml: Annotated[
        bool, typer.Option("--yaml", help="Print the resolved pack as YAML instead of a table.")
    ] = False,
) -> None:
    """Validate a pack and its `extends` chain; print the resolved rules and the version."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from careshift.policy import dump_yaml

    loaded = _load(pack)
    rules = loaded.rules
    if on is not None:
        try:
            rules = loaded.rules_on(date.fromisoformat(on))
        except ValueError as exc:
            typer.echo(f"error: --on {on!r} is not a date; write YYYY-MM-DD", err=True)
            raise typer.Exit(2) from exc
    if as_yaml:
        typer.echo(dump_yaml(rules, pack_id=loaded.id, title=loaded.title, jurisdiction=loaded.jurisdiction), nl=False)
        return
    console = Console()
    table = Table(title=f"{loaded.id}: {loaded.title}", title_justify="left", show_lines=True)
    table.add_column("rule", no_wrap=True)
    table.add_column("params · scope · effective", overflow="fold", ratio=1)
    for rule in rules:
        level = "hard" if rule.hard else f"soft ×{rule.weight}"
        origin = " > ".join(loaded.origins.get(rule.id, ()))
        # Text cells, not markup: a value such as [icu] would otherwise read as a style tag
        table.add_row(
            Text(f"{rule.id}\n{rule.family}\n{level}\nfrom {origin}"),
            Text(f"{_params(rule) or 'no params'}\nscope: {_scope(rule)}\neffective: {_effective(rule)}"),
        )
    console.print(table)
    typer.echo(f"source: {loaded.source}")
    typer.echo(f"extends: {' > '.join(loaded.lineage)}")
    typer.echo(f"rules: {len(rules)} of {len(loaded.rules)}" if on else f"rules: {len(rules)}")
    typer.echo(f"version: {loaded.version}")


@policy_app.command("diff")
def diff_command(
    before: Annotated[str, typer.Argument(help="The first pack (file or bundled id).")],
    after: Annotated[str, typer.Argument(help="The second pack (file or bundled id).")],
) -> None:
    """Show rules added, removed and changed (with each changed field) from BEFORE to AFTER.

    Exit status 0 when the resolved rules are the same, 1 when they differ, 2 on an error.
    """
    from careshift.policy import diff_rules

    left, right = _load(before), _load(after)
    diff = diff_rules(left.rules, right.rules)
    typer.echo(f"--- {left.id} {left.version}")
    typer.echo(f"+++ {right.id} {right.version}")
    for rule in diff.removed:
        typer.echo(f"- {rule.id} ({rule.family})")
    for rule in diff.added:
        typer.echo(f"+ {rule.id} ({rule.family})")
    for change in diff.changed:
        typer.echo(f"~ {change.rule_id}")
        for item in change.fields:
            typer.echo(f"    {item.path}: {_short(item.before)} → {_short(item.after)}")
    if diff.empty:
        typer.echo("no differences in the resolved rules")
        return
    typer.echo(f"{len(diff.added)} added, {len(diff.removed)} removed, {len(diff.changed)} changed")
    raise typer.Exit(1)


@policy_app.command("list")
def list_command() -> None:
    """List the bundled policy packs with their versions."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from careshift.policy import bundled_packs

    table = Table(title="bundled policy packs", title_justify="left", show_lines=True)
    table.add_column("pack", overflow="fold", ratio=1)
    for column in ("jurisdiction", "extends", "rules", "version"):
        table.add_column(column, no_wrap=True)
    for pack_id in bundled_packs():
        loaded = _load(pack_id)
        cells = (
            f"{loaded.id}\n{loaded.title}",
            loaded.jurisdiction or "-",
            " > ".join(loaded.lineage[:-1]) or "-",
            str(len(loaded.rules)),
            loaded.version,
        )
        table.add_row(*(Text(cell) for cell in cells))
    Console().print(table)
