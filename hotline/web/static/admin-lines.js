// Admin tab "lines": lines (label, max wait, service level, which agents) and agent accounts (create, disable,
// reset password, bind to a phone). Everything through /api/lines and /api/users; supervisors see it read-only.
"use strict";
Admin.tab("lines", {
  reload: true,
  async load(section) {
    const { el, api, canEdit, flash, errorText } = Admin;
    const data = await api("GET", "/api/lines");
    const ro = !canEdit();
    const agents = data.users.filter((u) => u.endpoint);
    const ROLE = { agent: "坐席", supervisor: "班长", admin: "管理员" };
    const MODES = [["", "不接听"], ["members", "常驻（无需签入）"], ["login_members", "签入后接听"]];
    const note = el("input", { size: 40, placeholder: "修改说明（记入操作记录）", class: "admin-only" });

    async function run(action, done) {
      try {
        const r = await action();
        const failed = ((r && r.applied) || []).filter((step) => step.startsWith("not applied"));
        flash(failed.length ? "已保存，但未能应用到交换机：" + failed.join("\n") : done(r), failed.length ? "error" : "ok");
        await Admin.show("lines");
      } catch (err) { flash(errorText(err), "error"); }
    }

    // --- lines ------------------------------------------------------------------------------------
    function lineRow(line) {
      const label = el("input", { value: line.label, size: 13, disabled: ro, "aria-label": "名称" });
      const wait = el("input", { type: "number", min: 10, max: 86400, value: line.max_wait_seconds, class: "secs", disabled: ro });
      const sl = el("input", { type: "number", min: 1, max: 600, value: line.service_level_seconds, class: "secs", disabled: ro });
      const picks = agents.map((u) => {
        const mode = line.members.includes(u.endpoint) ? "members" : line.login_members.includes(u.endpoint) ? "login_members" : "";
        const select = el("select", { "data-endpoint": u.endpoint, disabled: ro, "aria-label": u.display_name },
          MODES.map(([v, t]) => el("option", { value: v, selected: v === mode }, t)));
        return el("div", { class: "agent-pick" + (mode ? " on" : "") }, el("span", {}, `${u.display_name}（${u.endpoint}）`), select);
      });
      const save = el("button", { type: "button", class: "admin-only primary", "data-save": line.name }, "保存");
      save.addEventListener("click", () => {
        const members = [], login = [];
        for (const s of picks.map((p) => p.querySelector("select"))) {
          if (s.value === "members") members.push(s.dataset.endpoint);
          if (s.value === "login_members") login.push(s.dataset.endpoint);
        }
        run(() => api("PATCH", "/api/lines/" + line.name, { label: label.value.trim(), max_wait_seconds: Number(wait.value),
          service_level_seconds: Number(sl.value), members, login_members: login, note: note.value.trim() }),
        (r) => `已保存线路「${r.line.label}」并已应用到交换机（通话不中断）`);
      });
      return el("tr", { "data-line": line.name },
        el("td", {}, label, el("div", { class: "muted" }, `${line.name} · ${line.asterisk_queue}`)),
        el("td", {}, wait, " 秒"), el("td", {}, sl, " 秒"),
        el("td", {}, el("div", { class: "agent-picks" }, picks)), el("td", {}, save));
    }

    // --- accounts ---------------------------------------------------------------------------------
    const phoneSelect = (current, attrs = {}) => el("select", { disabled: ro, ...attrs },
      el("option", { value: "" }, "（无话机）"),
      data.phones.map((p) => el("option", { value: p, selected: p === current }, p)));

    function userRow(u) {
      const phone = phoneSelect(u.endpoint, { "aria-label": "话机" });
      const pwd = el("input", { type: "password", size: 12, placeholder: "新密码（≥8位）", class: "admin-only", autocomplete: "new-password" });
      const bind = el("button", { type: "button", class: "admin-only" }, "绑定话机");
      bind.addEventListener("click", () => run(() => api("PATCH", "/api/users/" + u.username,
        phone.value ? { endpoint: phone.value, note: note.value.trim() } : { unbind: true, note: note.value.trim() }),
      () => `${u.display_name} 已绑定话机 ${phone.value || "（无）"}`));
      const reset = el("button", { type: "button", class: "admin-only" }, "重置密码");
      reset.addEventListener("click", () => run(() => api("POST", `/api/users/${u.username}/password`, { password: pwd.value, note: note.value.trim() }),
        () => `${u.display_name} 的密码已重置，原登录已失效`));
      const toggle = el("button", { type: "button", class: "admin-only" + (u.disabled ? "" : " danger"), "data-toggle": u.username }, u.disabled ? "启用" : "停用");
      toggle.addEventListener("click", () => run(() => api("PATCH", "/api/users/" + u.username, { disabled: !u.disabled, note: note.value.trim() }),
        () => `${u.display_name} 已${u.disabled ? "启用" : "停用"}`));
      return el("tr", { "data-user": u.username, class: u.disabled ? "disabled" : null },
        el("td", {}, u.username), el("td", {}, u.display_name), el("td", {}, ROLE[u.role] || u.role),
        el("td", {}, phone, " ", bind), el("td", {}, (u.queues || []).map((q) => data.lines.find((l) => l.name === q)?.label || q).join("、") || "—"),
        el("td", {}, u.disabled ? el("span", { class: "badge" }, "已停用") : "正常"),
        el("td", { class: "admin-only" }, pwd, " ", reset, " ", toggle));
    }

    function createForm() {
      const f = el("form", { class: "toolbar admin-only", id: "new-user" },
        el("strong", {}, "新建账号"),
        el("input", { name: "username", placeholder: "用户名（小写字母）", size: 16, required: true }),
        el("input", { name: "display_name", placeholder: "姓名", size: 10, required: true }),
        el("select", { name: "role" }, Object.entries(ROLE).map(([v, t]) => el("option", { value: v }, t))),
        phoneSelect("", { name: "endpoint" }),
        el("input", { name: "password", type: "password", placeholder: "初始密码（≥8位）", size: 14, autocomplete: "new-password", required: true }),
        el("span", { class: "muted" }, "线路："),
        data.lines.map((l) => el("label", {}, el("input", { type: "checkbox", name: "lines", value: l.name }), l.label)),
        el("button", { type: "submit", class: "primary" }, "创建"));
      f.addEventListener("submit", (e) => {
        e.preventDefault();
        const body = { username: f.username.value.trim(), display_name: f.display_name.value.trim(), role: f.role.value,
          password: f.password.value, note: note.value.trim(),
          lines: [...f.querySelectorAll("input[name=lines]:checked")].map((c) => c.value) };
        if (f.endpoint.value) body.endpoint = f.endpoint.value;
        run(() => api("POST", "/api/users", body), (r) => `已创建账号 ${r.user.username}`);
      });
      return f;
    }

    section.replaceChildren(
      el("h2", {}, "线路"),
      el("p", { class: "muted" }, "修改坐席后立即应用到交换机（重新加载该队列），正在排队的来电不会中断。"),
      el("div", { class: "toolbar admin-only" }, note),
      el("table", { class: "grid", id: "lines-table" },
        el("thead", {}, el("tr", {}, ["线路", "最长等待", "服务水平目标", "接听坐席", ""].map((h) => el("th", {}, h)))),
        el("tbody", {}, data.lines.map(lineRow))),
      el("h2", {}, "坐席与账号"),
      createForm(),
      el("table", { class: "grid", id: "users-table" },
        el("thead", {}, el("tr", {}, ["用户名", "姓名", "角色", "话机", "服务线路", "状态", ro ? null : "操作"].filter(Boolean).map((h) => el("th", {}, h)))),
        el("tbody", {}, data.users.map(userRow))));
  },
});
