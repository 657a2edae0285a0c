"""满意率 for Prometheus: today's counts and rates per source (call/followup) and scope (all, line, agent)."""
from __future__ import annotations

from prometheus_client.core import GaugeMetricFamily


class SurveyCollector:
    """Built from one /api/survey-style report (read from Redis before the scrape is rendered)."""

    def __init__(self, report: dict) -> None:
        self.report = report

    def collect(self):
        labels = ["source", "scope", "name"]
        gauges = {k: GaugeMetricFamily(f"hotline_survey_{k}", doc, labels=labels) for k, doc in (
            ("offered", "Surveys asked today"), ("rated", "Surveys answered 1, 2 or 3 today"),
            ("unsatisfied", "Surveys answered 3 (不满意) today"),
            ("satisfaction_rate_percent", "满意率 today: (1+2)/rated"),
            ("participation_rate_percent", "参评率 today: rated/offered"))}
        today = (self.report.get("days") or [{}])[0]
        for source in ("call", "followup"):
            view = today.get(source) or {}
            rows = [("all", "", view.get("all") or {})]
            rows += [("line", n, v) for n, v in (view.get("lines") or {}).items()]
            rows += [("agent", n, v) for n, v in (view.get("agents") or {}).items()]
            for scope, name, values in rows:
                for key, gauge in gauges.items():
                    value = values.get(key.removesuffix("_percent"))
                    if value is not None:
                        gauge.add_metric([source, scope, name], float(value))
        pending = GaugeMetricFamily("hotline_followups_pending", "回访 calls scheduled or in progress")
        pending.add_metric([], float(self.report.get("followups_pending", 0)))
        review = GaugeMetricFamily("hotline_tickets_review_unsatisfied", "Tickets rated 不满意 in the review list")
        review.add_metric([], float(self.report.get("review_unsatisfied", 0)))
        yield from [*gauges.values(), pending, review]
