"""`hotline tickets list|show|check|generate`: draft tickets from this instance's Redis."""
from __future__ import annotations

import json

import typer

from hotline.commands import fail, run_with_redis
from hotline.core.config import Settings
from hotline.core.logging import mask_number

app = typer.Typer(no_args_is_help=True)


@app.command("list")
def list_(status: str = typer.Option(None, help="draft, claimed or submitted"),
          line: str = typer.Option(None, help="a line name from config/queues.yaml"),
          category: str = typer.Option(None), limit: int = typer.Option(50, min=1, max=500)) -> None:
    """Newest tickets first, one line each (caller numbers masked)."""
    from hotline.core.lines import load_lines
    from hotline.tickets import service

    lines = load_lines(Settings().queues_file)
    if line is not None and line not in lines:
        fail(f"unknown line {line!r}; the lines are {', '.join(lines.names)}")
    tickets = run_with_redis(lambda r: service.list_tickets(r, status, line, category, limit))
    for t in tickets:
        typer.echo(f"{t['id']}  {t['status']:<9} {t['line']:<8} {t['category']:<10} {t['request_type']:<3} "
                   f"{t['urgency']:<7} {mask_number(t['caller']):<12} transcript={t['transcript']['status']}"
                   + ("  " + t["repeat"]["label"] if t["repeat"]["label"] else ""))
    if not tickets:
        typer.echo("no tickets")


@app.command()
def show(ticket_id: str) -> None:
    """The full ticket as JSON."""
    from hotline.tickets import service

    async def fetch(client):
        try:
            return await service.get_ticket(client, ticket_id)
        except service.TicketNotFound as exc:
            fail(exc)
    typer.echo(json.dumps(run_with_redis(fetch), ensure_ascii=False, indent=2))


@app.command()
def check(fix: bool = typer.Option(False, "--fix", help="Write repaired tickets back; quarantine the rest.")) -> None:
    """Validate every stored ticket. Reports those that don't (exit 1); --fix repairs them field by field
    (audited) or sets them aside under hotline:ticket-quarantine:{id} when nothing sensible is left."""
    from hotline.tickets.check import check_all

    checked, rows = run_with_redis(lambda r: check_all(r, fix))
    for row in rows:
        what = row["action"] if fix else ("repairable" if row["repairable"] else "beyond repair")
        typer.echo(f"{row['id']}  {what}: " + "; ".join(row["problems"][:8])
                   + (f" (+{len(row['problems']) - 8} more)" if len(row["problems"]) > 8 else ""))
    fixed = sum(row["action"] != "reported" for row in rows)
    typer.echo(f"{checked} tickets checked, {len(rows)} invalid" + (f", {fixed} fixed" if fix else ""))
    if len(rows) > fixed:
        raise typer.Exit(1)


def _injection(text: str, parts: int) -> list[str]:
    fields = text.split("@")
    if len(fields) not in (parts, parts + 1):
        fail(f"{text!r}: expected {'@'.join(['CATEGORY', 'PLACE', 'YYYY-MM-DD'][:parts])}[@N]")
    return fields


@app.command()
def generate(days: int = typer.Option(90, min=1, max=400), per_day: int = typer.Option(2500, min=1, max=20000),
             seed: int = typer.Option(1), end: str = typer.Option(None, help="last day YYYY-MM-DD (default yesterday)"),
             flat: bool = typer.Option(False, "--flat", help="No weekly rhythm (and nothing injected unless asked)."),
             cluster: list[str] = typer.Option([], help="inject 同诉: CATEGORY@PLACE@YYYY-MM-DD[@CALLERS]"),
             spike: list[str] = typer.Option([], help="inject a spike: CATEGORY@YYYY-MM-DD[@FACTOR]")) -> None:
    """Write a realistic ticket history (for testing and measuring the hotspot reports) into this instance's
    Redis, through the same create and report-count steps as live tickets. Use a test instance: the tickets are
    real tickets to every other feature."""
    import datetime as dt

    from hotline.reports import generate as gen
    from hotline.tickets.taxonomy import default_taxonomy

    categories = default_taxonomy().category_names
    try:
        clusters = [gen.Cluster(f[0], f[1], dt.date.fromisoformat(f[2]), *([int(f[3])] if len(f) > 3 else []))
                    for f in (_injection(c, 3) for c in cluster)]
        spikes = [gen.Spike(f[0], dt.date.fromisoformat(f[1]), *([float(f[2])] if len(f) > 2 else []))
                  for f in (_injection(s, 2) for s in spike)]
        profile = gen.Profile(days=days, per_day=per_day, seed=seed, flat=flat, clusters=clusters, spikes=spikes,
                              **({"end": dt.date.fromisoformat(end)} if end else {}))
    except ValueError as exc:
        fail(exc)
    unknown = sorted({x.category for x in [*clusters, *spikes]} - set(categories))
    if unknown:
        fail(f"unknown categories {unknown}; one of {categories}")
    from hotline.reports.places import default_places
    nowhere = sorted({c.place for c in clusters} - set(default_places().by_name))
    if nowhere:
        fail(f"unknown places {nowhere}: not in config/places.yaml")
    written = run_with_redis(lambda r: gen.write(r, gen.history(profile)))
    typer.echo(f"{written} tickets written, {profile.first} – {profile.end}")
