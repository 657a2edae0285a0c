// 预约回拨 on the wallboard: pending / connected / failed (回拨未接通) call-backs, each offering line's offer state
// and estimated wait, and the latest call-backs, from GET /api/callbacks every 5 s (hotline/callback/http.py).
(function () {
  "use strict";
  const token = localStorage.getItem("hotline_token");
  const STATUS = { queued: "排队保留中", dialing: "回拨中", retry: "待重拨", connected: "已接通", failed: "回拨未接通" };
  const el = (tag, cls, text) => { const n = document.createElement(tag); if (cls) n.className = cls; if (text != null) n.textContent = text; return n; };
  const panel = el("section", "history-panel");
  panel.id = "callbacks-panel";
  const counts = el("p", "callback-counts");
  const lines = el("p", "callback-lines");
  const list = el("ol", "callback-list");
  panel.append(el("h2", null, "预约回拨"), counts, lines, list);
  const anchor = document.querySelector(".history-panel");
  anchor ? anchor.before(panel) : document.body.append(panel);

  const fmtWait = (s) => (s == null ? "∞" : s >= 60 ? Math.floor(s / 60) + "分" + Math.floor(s % 60) + "秒" : Math.round(s) + "秒");
  function counter(key, label, value) {
    const span = el("span", "callback-count");
    span.dataset.k = key;
    span.append(el("b", null, String(value)), " " + label + "　");
    return span;
  }
  async function load() {
    const response = await fetch("/api/callbacks?limit=10", { headers: { Authorization: "Bearer " + token } });
    if (!response.ok) return;
    const data = await response.json();
    counts.replaceChildren(counter("pending", "待回拨", data.counts.pending), counter("connected", "已接通", data.counts.connected),
                           counter("failed", "回拨未接通", data.counts.failed));
    lines.replaceChildren(...Object.entries(data.lines).map(([line, s]) =>
      el("span", "callback-line", `${s.label || line}：预计等待 ${fmtWait(s.estimated_wait_s)}，回拨提示${s.offer_open ? "开启" : "关闭"}　`)));
    list.replaceChildren(...data.callbacks.map((c) => {
      const item = el("li", "callback-" + c.status);
      item.textContent = `${new Date(c.requested_at * 1000).toLocaleTimeString("zh-CN", { hour12: false })} ${c.number} ` +
        `${c.label || c.line} · ${STATUS[c.status] || c.status} · 已拨 ${c.attempts} 次` + (c.agent ? ` · ${c.agent}` : "");
      return item;
    }));
  }
  if (token) { load(); setInterval(load, 5000); }
})();
