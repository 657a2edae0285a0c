// Admin tab "kb": knowledge-base articles — list (valid / expired), edit with a Markdown preview,
// categories, keywords, lines and validity dates. Supervisors see the list read-only.
"use strict";
Admin.tab("kb", {
  reload: true,
  async load(section) {
    const { el, api, flash, errorText, canEdit } = Admin;
    const [options, data] = await Promise.all([api("GET", "/api/kb/options"), api("GET", "/api/kb/articles")]);
    const lineLabel = Object.fromEntries(options.lines.map((l) => [l.name, l.label]));
    let editing = null;   // article id being edited, or "" for a new one

    const list = el("tbody");
    const table = el("table", { class: "grid" }, el("thead", {}, el("tr", {},
      ["标题", "分类", "线路", "有效期", "状态", "更新", ""].map((h) => el("th", {}, h)))), list);
    const form = el("form", { class: "kb-editor admin-only", hidden: true });
    section.replaceChildren(el("h2", {}, "知识库条目"),
      el("div", { class: "toolbar" }, el("button", { type: "button", class: "admin-only", onclick: () => edit(null) }, "新增条目"),
        el("span", { class: "muted" }, `共 ${data.articles.length} 条；过期条目不会出现在坐席提示和搜索中`)),
      table, form);

    const period = (a) => `${a.valid_from || "不限"} 至 ${a.valid_until || "长期"}`;
    list.replaceChildren(...data.articles.map((a) => el("tr", { "data-article": a.id },
      el("td", {}, a.title), el("td", {}, a.categories.join("、") || "全部"),
      el("td", {}, a.lines.map((l) => lineLabel[l] || l).join("、") || "全部"), el("td", {}, period(a)),
      el("td", {}, el("span", { class: a.valid_now ? "badge ok" : "badge expired" }, a.valid_now ? "有效" : "已过期/未生效")),
      el("td", {}, `${a.updated_by} ${Admin.fmtTime(a.updated_at)}`),
      el("td", {}, el("button", { type: "button", class: "admin-only", onclick: () => edit(a) }, "编辑")))));
    if (!data.articles.length) list.append(el("tr", {}, el("td", { colspan: 7, class: "muted" }, "暂无条目")));

    function checkboxes(name, values, chosen, label = (v) => v) {
      return el("div", { class: "checks" }, values.map((v) => el("label", {},
        el("input", { type: "checkbox", name, value: v, checked: chosen.includes(v) }), label(v))));
    }

    function edit(article) {
      const a = article || { title: "", body: "", categories: [], keywords: [], lines: [], valid_from: null, valid_until: null };
      editing = article ? article.id : "";
      const preview = el("div", { class: "kb-preview" });
      const errors = el("p", { class: "error-text", role: "alert" });
      form.replaceChildren(
        el("h3", {}, article ? `编辑：${a.title}` : "新增条目"),
        el("label", {}, "标题 ", el("input", { name: "title", value: a.title, size: 50, maxlength: 120, required: true })),
        el("div", { class: "kb-cols" },
          el("label", {}, "正文（Markdown）", el("textarea", { name: "body", rows: 10, maxlength: 20000 }, a.body)),
          el("div", {}, el("div", { class: "muted" }, "预览（坐席看到的样子）"), preview)),
        el("fieldset", {}, el("legend", {}, "分类（不选 = 全部）"), checkboxes("categories", options.categories, a.categories)),
        el("fieldset", {}, el("legend", {}, "线路（不选 = 全部）"),
          checkboxes("lines", options.lines.map((l) => l.name), a.lines, (v) => lineLabel[v])),
        el("label", {}, "关键词（来电人常用说法，逗号分隔） ", el("input", { name: "keywords", value: a.keywords.join("，"), size: 60 })),
        el("div", { class: "toolbar" },
          el("label", {}, "生效日期 ", el("input", { type: "date", name: "valid_from", value: a.valid_from || "" })),
          el("label", {}, "失效日期 ", el("input", { type: "date", name: "valid_until", value: a.valid_until || "" }))),
        errors,
        el("div", { class: "toolbar" }, el("button", { type: "submit" }, "保存"),
          article ? el("button", { type: "button", class: "danger", onclick: () => remove(article) }, "删除") : null,
          el("button", { type: "button", onclick: () => { form.hidden = true; } }, "取消")));
      form.hidden = false;
      const body = form.elements.body;
      const refresh = async () => {
        try { preview.innerHTML = (await api("POST", "/api/kb/preview", { body: body.value })).html; }
        catch (err) { preview.textContent = errorText(err); }
      };
      body.addEventListener("input", () => { clearTimeout(refresh.t); refresh.t = setTimeout(refresh, 300); });
      refresh();
      form.scrollIntoView({ behavior: "smooth" });
    }

    function values() {
      const f = form.elements;
      const all = (name) => [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
      return { title: f.title.value, body: f.body.value, categories: all("categories"), lines: all("lines"),
        keywords: f.keywords.value.split(/[,，、\s]+/).filter(Boolean),
        valid_from: f.valid_from.value || null, valid_until: f.valid_until.value || null };
    }

    form.onsubmit = async (event) => {
      event.preventDefault();
      try {
        await (editing ? api("PUT", "/api/kb/articles/" + editing, values()) : api("POST", "/api/kb/articles", values()));
        flash("已保存，坐席的提示和搜索立即生效");
        Admin.show("kb");
      } catch (err) { form.querySelector(".error-text").textContent = errorText(err); }
    };

    async function remove(article) {
      if (!confirm(`删除“${article.title}”？`)) return;
      try { await api("DELETE", "/api/kb/articles/" + article.id); flash("已删除"); Admin.show("kb"); }
      catch (err) { flash(errorText(err), "error"); }
    }
    if (!canEdit()) form.remove();
  },
});
