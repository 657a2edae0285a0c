// Admin tab "hours": per line a weekly schedule, a holiday calendar (春节 …) and where callers go while it is
// closed. Saved as a whole through PUT /api/hours (validated, audited, used by the next key press).
"use strict";
Admin.tab("hours", {
  reload: true,
  async load(section) {
    const { el, api, canEdit, flash, errorText } = Admin;
    const data = await api("GET", "/api/hours");
    const ro = !canEdit();
    const DAYS = [["mon", "周一"], ["tue", "周二"], ["wed", "周三"], ["thu", "周四"], ["fri", "周五"], ["sat", "周六"], ["sun", "周日"]];
    const names = Object.keys(data.labels);
    const editors = [];

    function lineCard(name) {
      const hours = data.lines[name];
      const status = data.status[name];
      const always = el("input", { type: "checkbox", checked: !hours, disabled: ro, "data-always": name });
      const week = DAYS.map(([d, t]) => [d, el("input", { value: ((hours && hours.weekly[d]) || []).join(", "),
        placeholder: "休息", size: 26, disabled: ro, "data-day": d, "aria-label": t })]);
      const closed = (hours && hours.closed) || { prompt: "after-hours", queue: name === "general" ? null : "general" };
      const target = el("select", { disabled: ro, "data-closed": name },
        names.filter((n) => n !== name).map((n) => el("option", { value: n, selected: closed.queue === n }, "转接到 " + data.labels[n])),
        el("option", { value: "__callback", selected: !!closed.callback }, "留言，服务时间内回电"));
      const prompt = el("input", { value: closed.prompt || "after-hours", size: 18, disabled: ro, "aria-label": "提示音" });
      const holidays = [...((hours && hours.holidays) || [])];
      const list = el("tbody");
      const drawHolidays = () => list.replaceChildren(...(holidays.length ? holidays.map((h, i) => el("tr", {},
        el("td", {}, h.date + (h.until && h.until !== h.date ? " 至 " + h.until : "")), el("td", {}, h.name),
        el("td", { class: "admin-only" }, el("button", { type: "button", class: "plain", onclick: () => { holidays.splice(i, 1); drawHolidays(); } }, "删除"))))
        : [el("tr", {}, el("td", { colspan: 3, class: "muted" }, "无节假日"))]));
      drawHolidays();
      const add = el("form", { class: "toolbar admin-only", "data-holiday-form": name },
        el("input", { type: "date", name: "date", required: true, "aria-label": "开始日期" }), "至",
        el("input", { type: "date", name: "until", "aria-label": "结束日期" }),
        el("input", { name: "name", placeholder: "名称，如 春节", size: 13, required: true, maxlength: 32 }),
        el("button", { type: "submit", class: "plain" }, "添加节假日"));
      add.addEventListener("submit", (e) => {
        e.preventDefault();
        const h = { date: add.date.value, name: add.name.value.trim() };
        if (add.until.value) h.until = add.until.value;
        holidays.push(h);
        holidays.sort((a, b) => a.date.localeCompare(b.date));
        add.reset();
        drawHolidays();
      });
      const body = el("div", { class: "hours-cols" },
        el("div", { class: "week" }, week.map(([d, input]) => el("label", {}, DAYS.find(([k]) => k === d)[1], input)),
          el("p", { class: "muted" }, "格式 09:00-12:00, 13:30-17:30；留空为休息")),
        el("div", {}, el("table", { class: "grid" }, el("thead", {}, el("tr", {}, el("th", {}, "节假日（全天休息）"), el("th", {}, "名称"), el("th", { class: "admin-only" }, ""))), list), add,
          el("p", {}, "非服务时间：先播放提示音 ", prompt, " 然后 ", target)));
      const sync = () => { body.hidden = always.checked; };
      always.addEventListener("change", sync);
      sync();
      editors.push(() => {
        if (always.checked) return null;
        const weekly = {};
        for (const [d, input] of week) {
          const spans = input.value.split(/[,，\s]+/).map((s) => s.trim()).filter(Boolean);
          if (spans.length) weekly[d] = spans;
        }
        const closedOut = { prompt: prompt.value.trim() || "after-hours" };
        if (target.value === "__callback") closedOut.callback = true; else closedOut.queue = target.value;
        return [name, { weekly, holidays, closed: closedOut }];
      });
      return el("div", { class: "hours-line", "data-line": name },
        el("h3", {}, data.labels[name], el("span", { class: status.open ? "open-now" : "closed-now" },
          status.open ? "● 现在服务中" : "● 现在不在服务时间" + (status.reason.startsWith("holiday") ? "（节假日）" : "")),
        el("label", { class: "muted" }, always, " 全天候服务（7×24）")), body);
    }

    const note = el("input", { size: 40, placeholder: "修改说明（记入操作记录）" });
    const save = el("button", { type: "button", class: "primary", id: "save-hours" }, "保存服务时间");
    save.addEventListener("click", async () => {
      const lines = Object.fromEntries(editors.map((f) => f()).filter(Boolean));
      try {
        await api("PUT", "/api/hours", { lines, note: note.value.trim() });
        flash("服务时间已保存，下一通来电按新设置执行");
        await Admin.show("hours");
      } catch (err) { flash(errorText(err), "error"); }
    });
    section.replaceChildren(
      el("h2", {}, "服务时间与节假日"),
      el("p", { class: "muted" }, `时区 ${data.timezone}，当前时间 ${data.local_now.replace("T", " ").slice(0, 16)}` +
        (data.clock_offset_seconds ? "（测试时钟偏移中）" : "") + "。12345 综合服务默认全天候；在来电按键选择线路时判断。"),
      el("div", { class: "toolbar admin-only" }, note, save),
      ...names.map(lineCard));
  },
});
