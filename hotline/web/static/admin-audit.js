// Admin tab "audit": every admin change, newest first, filterable by user, action and target.
"use strict";
Admin.tab("audit", {
  reload: true,
  async load(section) {
    const { el, api, fmtTime } = Admin;
    const form = el("form", { class: "toolbar" },
      el("label", {}, "操作人 ", el("input", { name: "actor", size: 10 })),
      el("label", {}, "操作 ", el("input", { name: "action", size: 14, placeholder: "如 menu" })),
      el("label", {}, "对象 ", el("input", { name: "target", size: 14 })),
      el("button", { type: "submit" }, "筛选"));
    const body = el("tbody");
    const table = el("table", { class: "grid" },
      el("thead", {}, el("tr", {}, ["时间", "操作人", "来源", "操作", "对象", "说明", "变更内容"].map((h) => el("th", {}, h)))), body);
    section.replaceChildren(el("h2", {}, "操作记录（审计）"), form, table);
    async function refresh() {
      const q = new URLSearchParams();
      for (const k of ["actor", "action", "target"]) if (form[k].value.trim()) q.set(k, form[k].value.trim());
      const data = await api("GET", "/api/audit?" + q);
      body.replaceChildren(...data.entries.map((e) => el("tr", {},
        el("td", {}, fmtTime(e.at)), el("td", {}, `${e.actor}（${e.role}）`), el("td", {}, e.source),
        el("td", {}, e.action), el("td", {}, e.target), el("td", {}, e.note), el("td", {}, diffView(e.diff)))));
      if (!data.entries.length) body.append(el("tr", {}, el("td", { colspan: 7, class: "muted" }, "暂无记录")));
    }
    function diffView(text) {
      const pre = el("pre", { class: "diff" });
      for (const line of (text || "").split("\n")) {
        const cls = line.startsWith("+") && !line.startsWith("+++") ? "add" : line.startsWith("-") && !line.startsWith("---") ? "del" : null;
        pre.append(el("span", { class: cls }, line), "\n");
      }
      return pre;
    }
    form.addEventListener("submit", (e) => { e.preventDefault(); refresh().catch((err) => Admin.flash(Admin.errorText(err), "error")); });
    await refresh();
  },
});
