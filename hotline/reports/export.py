"""A hotspot report as CSV (UTF-8 with BOM, so spreadsheet programs show the 汉字)."""
from __future__ import annotations

import csv
import datetime as dt
import io

SECTIONS = {"total": "合计", "line": "线路", "category": "类别", "district": "区", "place": "地点"}
COLUMNS = ["section", "name", "count", "previous", "change", "change_pct", "baseline", "z", "p", "spike"]


def _when(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch).strftime("%Y-%m-%d %H:%M")


def to_csv(report: dict) -> str:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(["period", report["period"], "start", report["start"], "end", report["end"],
                     "complete", report["complete"]])
    writer.writerow(COLUMNS)
    rows = [("total", report["total"])] + [(dim, r) for dim, rs in report["dimensions"].items() for r in rs]
    for section, row in rows:
        writer.writerow([SECTIONS[section], *(row.get(c) for c in COLUMNS[1:])])
    writer.writerow([])
    writer.writerow(["同诉", "category", "place", "district", "street", "callers", "tickets", "first", "last",
                     "expected", "p", "ticket_ids"])
    for c in report["clusters"]:
        writer.writerow(["同诉", c["category"], c["place"], c["district"], c["street"], c["callers"], c["tickets"],
                         _when(c["first"]), _when(c["last"]), c["expected"], c["p"], " ".join(c["ticket_ids"])])
    return out.getvalue()
