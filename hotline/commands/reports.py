"""`hotline reports hotspots|rebuild`: hotspot reports (热点分析) from this instance's Redis."""
from __future__ import annotations

import datetime as dt

import typer

from hotline.commands import fail, run_with_redis

app = typer.Typer(no_args_is_help=True)


def _date(text: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(text) if text else dt.date.today()
    except ValueError:
        fail(f"date must be YYYY-MM-DD, not {text!r}")


@app.command()
def hotspots(period: str = typer.Option("day", help="day, week or month"),
             date: str = typer.Option(None, help="YYYY-MM-DD (default today)"),
             csv: bool = typer.Option(False, "--csv", help="Print the CSV export instead of the summary.")) -> None:
    """The report of the day/week/month holding DATE: totals, top categories and places, spikes, clusters."""
    from hotline.reports import export, hotspots as report

    if period not in report.PERIODS:
        fail(f"period must be one of {', '.join(report.PERIODS)}")
    data = run_with_redis(lambda r: report.hotspots(r, period, _date(date)))
    if csv:
        typer.echo(export.to_csv(data), nl=False)
        return
    total = data["total"]
    typer.echo(f"{data['start']} – {data['end']}: {total['count']} tickets (previous {total['previous']}, "
               f"baseline {total['baseline']})")
    for row in data["dimensions"]["category"][:8]:
        typer.echo(f"  {row['name']:<12} {row['count']:>6}  baseline {row['baseline']}" + ("  SPIKE" if row["spike"] else ""))
    for c in data["clusters"]:
        typer.echo(f"  同诉 {c['category']} @ {c['place']} ({c['district']}): {c['callers']} callers, p={c['p']:.1e}")


@app.command()
def rebuild() -> None:
    """Count every stored ticket again in the per-day report aggregates."""
    from hotline.reports.rebuild import rebuild as run

    typer.echo(f"{run_with_redis(run)} tickets counted")
