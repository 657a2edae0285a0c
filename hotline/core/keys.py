"""Every Redis key the hotline uses: its pattern, the one feature that writes it, its type and how long it lives.

Only the owner writes a key; other features read through the owner's functions (the journal, the ticket
service, ...), never through the raw key. `python -m hotline.core.keys` prints the table that
docs/architecture.md carries (a unit test keeps the two equal), and no module outside this one spells a
`hotline:` key.
"""
from __future__ import annotations

from dataclasses import dataclass

PREFIX = "hotline:"


@dataclass(frozen=True)
class Key:
    pattern: str     # str.format pattern, e.g. "hotline:call:{call_id}"
    owner: str       # the package that writes it
    type: str        # Redis type
    retention: str   # how it is bounded
    meaning: str

    def __call__(self, **parts: object) -> str:
        return self.pattern.format(**parts)

    def __str__(self) -> str:
        return self.pattern


# --- ivr: calls, menus, recordings ---------------------------------------------------------------
CALL = Key("hotline:call:{call_id}", "ivr", "hash", "90 days",
           "call summary (caller, route, menu_version, times, ticket_id, agent)")
CALL_JOURNAL = Key("hotline:call:{call_id}:journal", "ivr", "list of JSON", "90 days",
                   "timeline events `{t, event, ...}`")
CALLS = Key("hotline:calls", "ivr", "zset (score = start epoch)", "ids of expired calls linger", "call ids")
MENU_SEQ = Key("hotline:menu:seq", "ivr", "string (INCR)", "forever", "last menu version number")
MENU_ACTIVE = Key("hotline:menu:active", "ivr", "string", "forever", "active menu: <version>:<published at>")
MENU_HISTORY = Key("hotline:menu:history", "ivr", "list of JSON", "forever", "publish/rollback log")
MENU_VERSION = Key("hotline:menu:version:{version}", "ivr", "JSON string", "forever", "one menu tree")
RECORDINGS = Key("hotline:recordings", "ivr", "stream (groups `asr`, `asr-hanzi`)", "MAXLEN ~100,000",
                 "ASR jobs: call_id, path, caller, route, recorded_at; consumed by the tickets worker")
FALLBACK_TAKEN = Key("hotline:fallback-taken", "ivr", "set", "until `hotline up` prunes the AstDB notes",
                     "ids of dialplan fallback notes (AstDB hotline_fallback) already journaled and ticketed")
RECONCILED_FROM = Key("hotline:reconciled-from:{node}", "ivr", "string (epoch)", "forever, one per node",
                      "a node's reconciler: every call that started before this was settled when it last looked; "
                      "a restarted controller reads from here instead of the whole window")
RECORDINGS_DEAD = Key("hotline:recordings:dead", "tickets", "stream", "until retried",
                      "ASR jobs that failed max_attempts times: the job plus message_id, error, attempts, failed_at")

# --- tickets --------------------------------------------------------------------------------------
TICKET = Key("hotline:ticket:{ticket_id}", "tickets", "JSON string", "forever", "draft ticket")
TICKET_BY_CALL = Key("hotline:ticket-by-call:{call_id}", "tickets", "string", "forever",
                     "the ticket of a call (one per call)")
TICKETS = Key("hotline:tickets", "tickets", "zset (score = created)", "forever", "ticket ids")
TICKETS_BY_CALLER = Key("hotline:tickets:caller:{caller}", "tickets", "zset", "forever",
                        "a caller's tickets (repeat callers, pop history)")
TICKETS_BY_CATEGORY = Key("hotline:tickets:category:{category}", "tickets", "zset", "forever",
                          "tickets of a category (same-issue links)")
TICKETS_BY_HANDLER = Key("hotline:tickets:handler:{agent}", "tickets", "zset", "forever",
                         "tickets of the calls an agent's phone held (what that agent may see)")
TICKET_SEQ = Key("hotline:ticket-seq:{day}", "tickets", "string (INCR)", "2 days", "per-day ticket number")
TICKET_QUARANTINE = Key("hotline:ticket-quarantine:{ticket_id}", "tickets", "string", "until looked at",
                        "the raw value of a stored ticket beyond repair (hotline tickets check --fix)")
TICKETS_QUARANTINED = Key("hotline:tickets:quarantined", "tickets", "zset (score = when)", "until looked at",
                          "ids of quarantined tickets")
TICKET_EVENTS = Key("hotline:ticket-events", "tickets", "stream", "MAXLEN ~100,000",
                    "`ticket_id, call_id, kind` (created/transcribed/updated/submitted) for the agents feature")

# --- agents: screen-pop ----------------------------------------------------------------------------
SCREENPOP = Key("hotline:screenpop:{agent}", "agents", "stream", "MAXLEN ~500 (users.yaml)",
                "pops sent to an agent, replayed on WebSocket reconnect")
CALL_AGENT = Key("hotline:call-agent:{call_id}", "agents", "string", "24 h",
                 "the agent holding (or last holding) a call: where its ticket updates go")
TICKET_EVENTS_CURSOR = Key("hotline:agents:ticket-events-cursor", "agents", "string", "forever",
                           "last ticket event popped, resumed after a restart")

# --- auth -----------------------------------------------------------------------------------------
TOKEN = Key("hotline:token:{token}", "auth", "string", "token TTL (users.yaml)",
            "login session: username, password fingerprint, HMAC (key outside Redis)")
LOGIN_FAILS = Key("hotline:login-fails:{username}:{address}", "auth", "hash (n, until)", "1 h after the last",
                  "failed logins per user and address, and the backoff they earned")

# --- supervision ----------------------------------------------------------------------------------
ALERTS_ACTIVE = Key("hotline:alerts:active", "supervision", "hash", "while active",
                    "alert id -> JSON of the alert as last announced")
ALERTS = Key("hotline:alerts", "supervision", "stream", "MAXLEN ~10,000 (overflow.yaml)",
             "every raise / escalate / de-escalate / clear")
QUEUE_HISTORY = Key("hotline:queue-history:{queue}", "supervision", "list of JSON", "history_minutes points",
                    "per-minute wallboard points, oldest first")

# --- admin ----------------------------------------------------------------------------------------
AUDIT = Key("hotline:audit", "admin", "stream", "MAXLEN ~100,000",
            "every admin change: actor, role, source address, action, target, before/after JSON, readable diff")

# --- kb: knowledge base ----------------------------------------------------------------------------
KB_ARTICLE = Key("hotline:kb:article:{article_id}", "kb", "JSON string", "until deleted",
                 "one knowledge-base article (title, Markdown body, categories, keywords, lines, validity)")
KB_ARTICLES = Key("hotline:kb:articles", "kb", "zset (score = number)", "until deleted", "article ids")
KB_SEQ = Key("hotline:kb:seq", "kb", "string (INCR)", "forever", "last article number")
KB_VERSION = Key("hotline:kb:version", "kb", "string (random token)", "forever",
                 "replaced by every change: processes rebuild their search index when it moves")

# --- reports: hotspot aggregates (hotline/reports/facts.py keeps them in step with every ticket write) --
REPORT_DAY = Key("hotline:report:day:{day}", "reports", "hash", "400 days",
                 "a day's ticket counts: total, hour:HH, line:X, category:X, district:X, street:X, place:X")
REPORT_PAIRS = Key("hotline:report:pairs:{day}", "reports", "hash", "400 days",
                   "a day's ticket counts per (category, place) pair (the cluster test's baseline)")
REPORT_FACTS = Key("hotline:report:facts:{day}", "reports", "hash", "400 days",
                   "ticket id -> JSON of what the reports counted (time, category, place, caller digest, fields)")
REPORT_ALERTED = Key("hotline:report:alerted", "reports", "hash", "entries pruned after 7 days",
                     "hotspot alert id -> when it was announced (one alert per cluster or spike)")
# --- admin: overflow rules editor (h12menu) --------------------------------------------------------------
OVERFLOW_RULES = Key("hotline:overflow-rules", "supervision", "JSON string", "forever",
                     "overflow rules and staffing targets edited in /admin (version, author, note), laid over "
                     "overflow.yaml")
# --- survey: satisfaction at the end of the call, 回访 follow-up calls (hotline/survey) ----------------
SURVEY_STATS = Key("hotline:survey:stats:{day}", "survey", "hash", "400 days",
                   "per-day counters `source|scope|field` (source call/followup; scope all, line:X, agent:X; "
                   "field offered, 1, 2, 3, none)")
FOLLOWUP = Key("hotline:followup:{ticket_id}", "survey", "hash", "90 days",
               "one 回访: caller, status (scheduled/calling/done/failed), tries, next_at, answer, last_error")
FOLLOWUPS_DUE = Key("hotline:followups:due", "survey", "zset (score = next try epoch)", "until done or failed",
                    "ticket ids whose 回访 call is pending")
TICKETS_REVIEW = Key("hotline:tickets:review:unsatisfied", "tickets", "zset (score = when rated)", "forever",
                     "tickets rated 不满意 (3) at the end of the call or in the 回访: the supervisors' review list")
# --- dispatch: 派单 and the 150 s measure ----------------------------------------------------------
DISPATCH_DAY = Key("hotline:dispatch:day:{day}", "dispatch", "hash", "40 days",
                   "one day's dispatches: `n` / `ok` (within 150 s) / `sum` (seconds) per `line:{line}` and "
                   "`agent:{agent}` (wallboard share, /metrics)")
DISPATCH_HISTOGRAM = Key("hotline:dispatch:histogram", "dispatch", "hash", "forever",
                         "call start → dispatch seconds per line: bucket counts, sum, count (hotline_dispatch_seconds)")
# --- callback: 预约回拨 (call-back at peaks, hotline/callback) --------------------------------------------
CALLBACK = Key("hotline:callback:{call_id}", "callback", "hash", "90 days",
               "a call-back of a call: number, line, position, status, attempts, next try, agent, outcome")
CALLBACKS = Key("hotline:callbacks", "callback", "zset (score = requested at)", "ids of expired call-backs linger",
                "call-back ids (= call ids), for the wallboard and /api/callbacks")
CALLBACKS_OPEN = Key("hotline:callbacks:open", "callback", "zset (score = next try at)", "until done or failed",
                     "call-backs not finished (waiting in the queue, dialing, retry due): recovered at start")
CALLBACK_STATS = Key("hotline:callbacks:stats", "callback", "hash (HINCRBY)", "forever",
                     "requested / connected / failed / attempts counters (/metrics)")

REGISTRY: tuple[Key, ...] = tuple(v for v in globals().values() if isinstance(v, Key))


def markdown_table() -> str:
    rows = ["| key | type | owner | retention | meaning |", "|---|---|---|---|---|"]
    rows += [f"| `{k.pattern}` | {k.type} | {k.owner} | {k.retention} | {k.meaning} |" for k in REGISTRY]
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())
