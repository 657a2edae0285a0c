"""`hotline tickets list|show|check`: draft tickets from this instance's Redis."""
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
