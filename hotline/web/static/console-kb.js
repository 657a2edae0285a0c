// Knowledge-base hints on the agent console: the pop's top 3 articles (refreshed when the transcript
// arrives), a search box, and "复制到答复" which appends an article's text to the ticket's reply.
"use strict";
const KbHints = (() => {
  const list = document.getElementById("kb-hints");
  const el = (tag, cls, text) => { const n = document.createElement(tag); if (cls) n.className = cls; if (text != null) n.textContent = text; return n; };

  function item(hit) {
    const li = el("li");
    li.dataset.article = hit.id;
    const title = el("button", "title", hit.title);
    title.type = "button";
    title.setAttribute("aria-expanded", "false");
    const body = el("div", "body");
    body.hidden = true;
    body.innerHTML = hit.html;   // rendered by the server without raw HTML (hotline/kb/render.py)
    title.addEventListener("click", () => { body.hidden = !body.hidden; title.setAttribute("aria-expanded", String(!body.hidden)); });
    const copy = el("button", "copy secondary", "复制到答复");
    copy.type = "button";
    copy.addEventListener("click", () => {
      const reply = document.getElementById("reply");
      const text = body.innerText.trim() || body.textContent.trim();
      reply.value = reply.value.trim() ? reply.value.trim() + "\n" + text : text;
      reply.dispatchEvent(new Event("input"));   // marks the field as the agent's (saved with the ticket)
      reply.focus();
    });
    const why = el("div", "why", hit.matched && hit.matched.length ? "匹配：" + hit.matched.join("、") : "");
    li.append(title, el("div", "snippet", hit.snippet), why, body, copy);
    return li;
  }

  function show(hits, emptyText) {
    list.replaceChildren(...(hits.length ? hits.map(item) : [el("li", "muted", emptyText || "暂无相关知识库条目")]));
  }

  document.getElementById("kb-search").addEventListener("submit", async (event) => {
    event.preventDefault();
    const q = document.getElementById("kb-query").value.trim();
    if (!q) return;
    try {
      const data = await api("GET", "/api/kb/search?" + new URLSearchParams({ q, k: "5" }));
      show(data.hits, "没有找到与“" + q + "”相关的条目");
    } catch (err) { show([], "搜索失败：" + err.message); }
  });

  return { show: (hits) => show(hits || []) };
})();
