// Wallboard: the 150-second target (来电至派单) — today's share of tickets dispatched within 150 s of the
// call's start, per line and per agent, from GET /api/dispatch/stats (refreshed every 15 s).
"use strict";
(() => {
  const panel = document.createElement("section");
  panel.className = "dispatch-panel";
  panel.id = "dispatch-panel";
  panel.innerHTML = '<h2>派单时效 · 今日 150 秒内派单率</h2><div class="dispatch-tables">' +
    '<table id="dispatch-lines"><thead><tr><th>专线</th><th>已派单</th><th>150 秒内</th><th>达标率</th><th>平均用时</th></tr></thead><tbody></tbody></table>' +
    '<table id="dispatch-agents"><thead><tr><th>坐席</th><th>已派单</th><th>150 秒内</th><th>达标率</th><th>平均用时</th></tr></thead><tbody></tbody></table></div>';
  document.querySelector(".history-panel").before(panel);

  const lineLabel = (line) => {
    const known = typeof cards !== "undefined" && cards.get(line);   // wallboard.js's queue cards
    return known ? known.el.querySelector(".label").textContent : line;
  };
  const share = (row) => (row.share == null ? "—" : (row.share * 100).toFixed(0) + "%");

  function fill(id, rows, key, label) {
    const body = document.querySelector("#" + id + " tbody");
    body.replaceChildren();
    if (!rows.length) { const cell = body.insertRow().insertCell(); cell.colSpan = 5; cell.textContent = "今日暂无派单"; return; }
    for (const row of rows) {
      const tr = body.insertRow();
      tr.dataset[key] = row[key];
      tr.className = row.share != null && row.share < 0.8 ? "below" : "";
      for (const text of [label(row[key]), row.dispatched, row.within_target, share(row), row.mean_seconds + " 秒"]) tr.insertCell().textContent = text;
    }
  }

  async function refresh() {
    const response = await fetch("/api/dispatch/stats", { headers: { Authorization: "Bearer " + token } });
    if (!response.ok) return;
    const data = await response.json();
    fill("dispatch-lines", data.lines, "line", lineLabel);
    fill("dispatch-agents", data.agents, "agent", (a) => a);
  }
  refresh();
  setInterval(refresh, 15000);
})();
