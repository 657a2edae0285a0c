// Wallboard: 满意率 and 参评率 (today, per line and agent, last 7 days) and the 不满意 review list.
// Reads /api/survey and /api/tickets?review=unsatisfied every 10 s. Hooked into wallboard.html by one tag.
"use strict";
(function () {
  const auth = { headers: { Authorization: "Bearer " + localStorage.getItem("hotline_token") } };
  const pct = (v) => (v === null || v === undefined ? "—" : v.toFixed(1) + "%");
  const el = (tag, cls, text) => { const n = document.createElement(tag); if (cls) n.className = cls; if (text !== undefined) n.textContent = text; return n; };
  const lineLabel = (name) => { const h = document.querySelector(`article.queue[data-queue="${CSS.escape(name)}"] h2`); return (h && h.textContent) || name; };

  function panel() {
    let p = document.getElementById("survey-panel");
    if (p) return p;
    const css = el("link"); css.rel = "stylesheet"; css.href = "/static/wallboard-survey.css"; document.head.append(css);
    p = el("section", "history-panel survey-panel"); p.id = "survey-panel";
    document.getElementById("queues").after(p);
    return p;
  }

  function row(cells, cls) { const tr = el("tr", cls); cells.forEach((c) => tr.append(el(cls === "head" ? "th" : "td", "", c))); return tr; }

  // followup null: no 回访 columns (回访 are counted per line, not per agent)
  function rateTable(title, names, call, followup, label) {
    const table = el("table", "survey-table");
    table.append(row([title, "现场满意率", "参评率", "评价/邀评"].concat(followup ? ["回访满意率", "回访评价"] : []), "head"));
    names.forEach((n) => {
      const c = call[n] || {}, f = (followup || {})[n] || {};
      const tr = row([label(n), pct(c.satisfaction_rate), pct(c.participation_rate), `${c.rated || 0}/${c.offered || 0}`]
        .concat(followup ? [pct(f.satisfaction_rate), String(f.rated || 0)] : []));
      tr.dataset.scope = n;
      table.append(tr);
    });
    return table;
  }

  function render(report, review) {
    const p = panel();
    const today = report.days[0];
    const all = { 全部: today.call.all }, fAll = { 全部: today.followup.all };
    const lines = Object.keys({ ...today.call.lines, ...today.followup.lines }).sort();
    const agents = Object.keys(today.call.agents).sort();
    const h = el("h2", "", `满意度（今日 ${today.day}）· 满意率 = (满意+基本满意)/评价数 · 参评率 = 评价数/邀评数`);
    const sums = el("div", "survey-sums");
    sums.append(rateTable("合计", ["全部"], all, fAll, (n) => n));
    sums.append(rateTable("线路", lines, today.call.lines, today.followup.lines, lineLabel));
    sums.append(rateTable("坐席", agents, today.call.agents, null, (n) => n));
    const days = el("div", "survey-days");
    days.append(el("span", "muted", "近7日现场满意率："));
    report.days.slice().reverse().forEach((d) => days.append(el("span", "day", `${d.day.slice(4)} ${pct(d.call.all.satisfaction_rate)}`)));
    days.append(el("span", "muted", ` · 待回访 ${report.followups_pending}`));
    const list = el("ol", "survey-review"); list.id = "review-list";
    review.tickets.forEach((t) => {
      const how = t.followup && t.followup.answer === "3" ? "回访不满意" : "现场不满意";
      const li = el("li", "", `${t.id} · ${t.line_label || t.line || "—"} · ${how}` + (t.summary ? ` · ${t.summary}` : ""));
      li.dataset.ticket = t.id;
      list.append(li);
    });
    p.replaceChildren(h, sums, days, el("h2", "", `不满意工单（待研判 ${review.count}）`), list);
  }

  async function refresh() {
    try {
      const [s, r] = await Promise.all([fetch("/api/survey?days=7", auth), fetch("/api/tickets?review=unsatisfied&limit=20", auth)]);
      if (s.ok && r.ok) render(await s.json(), await r.json());
    } catch (e) { /* the next refresh tries again */ }
  }
  refresh();
  setInterval(refresh, 10000);
})();
