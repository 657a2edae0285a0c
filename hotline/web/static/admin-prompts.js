// Admin tab "prompts": every voice prompt with its text, duration and source; listen (fetched with the
// session, played from a blob); admins upload a recording, re-synthesise from text or reset to the default.
"use strict";
(() => {
  const SOURCES = { default: "默认合成", uploaded: "上传录音", regenerated: "重新合成", missing: "缺失" };
  const SOURCE_COLORS = { uploaded: "#0969da", regenerated: "#8250df", missing: "#a40e26" };
  let limits = { min_seconds: 0.3, max_seconds: 120, max_bytes: 25 * 1024 * 1024, max_text: 500 };
  let player = null;
  let playerLabel = null;
  let body = null;

  const seconds = (s) => (s === null || s === undefined ? "—" : `${s.toFixed(1)} 秒`);
  const path = (name, what) => `/api/prompts/${encodeURIComponent(name)}/${what}`;

  async function listen(name) {
    const { api, flash, errorText } = Admin;
    try {
      const response = await api("GET", path(name, "audio"), undefined, { raw: true });
      const blob = await response.blob();
      if (player.src) URL.revokeObjectURL(player.src);
      player.src = URL.createObjectURL(blob);
      player.dataset.prompt = name;
      playerLabel.textContent = `正在试听：${name}`;
      await player.play().catch(() => {});   // autoplay refused: the controls still play it
    } catch (err) {
      flash(`无法试听 ${name}：` + errorText(err), "error");
    }
  }

  async function change(name, verb, request, done) {
    const { flash, errorText } = Admin;
    try {
      const info = await request();
      flash(`提示音 ${name} 已${done}：${SOURCES[info.source] || info.source}，${seconds(info.duration)}。下一通来电即生效。`);
      await refresh();
    } catch (err) {
      flash(`提示音 ${name} ${verb}失败：` + errorText(err), "error");
    }
  }

  function upload(name, input) {
    const file = input.files[0];
    input.value = "";
    if (!file) return;
    if (file.size > limits.max_bytes) {
      Admin.flash(`文件太大（${(file.size / 1048576).toFixed(1)} MB），最大 ${Math.floor(limits.max_bytes / 1048576)} MB`, "error");
      return;
    }
    const form = new FormData();
    form.append("file", file);
    Admin.flash(`正在上传并检查 ${file.name} …`);
    return change(name, "上传", () => Admin.api("PUT", path(name, "recording"), form), "更新为上传的录音");
  }

  function ttsEditor(info, row) {
    const { el } = Admin;
    const next = row.nextElementSibling;
    if (next && next.classList.contains("tts-editor")) { next.remove(); return; }
    const text = el("textarea", { rows: 3, maxlength: limits.max_text, "aria-label": `${info.name} 的合成文本` });
    text.value = info.text || info.default_text || "";
    text.style.width = "100%";
    const go = el("button", { type: "button", class: "tts-go" }, "合成并替换");
    const cancel = el("button", { type: "button", onclick: () => editor.remove() }, "取消");
    go.addEventListener("click", () => change(info.name, "合成",
      () => Admin.api("POST", path(info.name, "tts"), { text: text.value }), "用新文本重新合成"));
    const editor = el("tr", { class: "tts-editor admin-only" }, el("td", { colspan: 6 },
      el("div", { class: "muted" }, `用内置普通话语音合成重新生成「${info.name}」（最多 ${limits.max_text} 字）：`),
      text, el("div", { class: "toolbar" }, go, cancel)));
    row.after(editor);
    text.focus();
  }

  function reset(info) {
    if (!confirm(`确定将提示音 ${info.name} 恢复为默认（prompts.yaml 的文本合成）？`)) return;
    return change(info.name, "恢复", () => Admin.api("POST", path(info.name, "reset")), "恢复默认");
  }

  function rowOf(info) {
    const { el, fmtTime } = Admin;
    const source = el("span", { class: "badge source" }, SOURCES[info.source] || info.source);
    if (SOURCE_COLORS[info.source]) { source.style.background = "#ddf4ff"; source.style.color = SOURCE_COLORS[info.source]; }
    const file = el("input", { type: "file", accept: "audio/*,.wav,.mp3,.flac,.ogg,.aiff,.au", hidden: true });
    const row = el("tr", { "data-prompt": info.name, "data-source": info.source },
      el("td", {}, el("code", {}, info.name)),
      el("td", { class: "text" }, info.text || el("span", { class: "muted" }, "（无文本：上传的录音）")),
      el("td", { class: "duration" }, seconds(info.duration)),
      el("td", {}, source),
      el("td", { class: "muted" }, info.updated_at ? fmtTime(info.updated_at) : "—", el("br"),
        info.updated_by ? `由 ${info.updated_by} 修改` : "系统生成"),
      el("td", { class: "actions" },
        el("button", { type: "button", class: "listen", disabled: info.source === "missing",
                       onclick: () => listen(info.name) }, "▶ 试听"),
        el("span", { class: "admin-only" },
          " ", el("button", { type: "button", class: "upload", onclick: () => file.click() }, "上传录音"), file,
          " ", el("button", { type: "button", class: "tts", onclick: () => ttsEditor(info, row) }, "重新合成"),
          " ", el("button", { type: "button", class: "reset", disabled: info.source === "default" || !info.has_default,
                              title: info.has_default ? "" : "prompts.yaml 中没有默认文本", onclick: () => reset(info) },
                  "恢复默认"))));
    file.addEventListener("change", () => upload(info.name, file));
    row.querySelector(".text").style.maxWidth = "520px";
    row.querySelectorAll("td:not(.text)").forEach((td) => { td.style.whiteSpace = "nowrap"; });
    return row;
  }

  async function refresh() {
    const data = await Admin.api("GET", "/api/prompts");
    limits = data.limits || limits;
    body.replaceChildren(...data.prompts.map(rowOf));
    if (!data.prompts.length) body.append(Admin.el("tr", {}, Admin.el("td", { colspan: 6, class: "muted" }, "暂无提示音")));
  }

  // a prompt of the admins' own (e.g. for a menu's play action): a name and its text or a recording
  function newPromptForm() {
    const { el, flash } = Admin;
    const name = el("input", { name: "name", size: 18, placeholder: "如 holiday-notice", pattern: "[a-z0-9][a-z0-9_-]{0,63}",
                               "aria-label": "新提示音名称" });
    const text = el("input", { name: "text", size: 48, maxlength: limits.max_text, placeholder: "提示音文本（用内置语音合成）",
                               "aria-label": "新提示音文本" });
    const file = el("input", { type: "file", accept: "audio/*,.wav,.mp3,.flac,.ogg,.aiff,.au", hidden: true });
    const valid = () => {
      if (/^[a-z0-9][a-z0-9_-]{0,63}$/.test(name.value.trim())) return name.value.trim();
      flash("名称只能用小写字母、数字、“-”和“_”，且以字母或数字开头", "error");
      return null;
    };
    const synth = el("button", { type: "button", class: "new-tts" }, "用文本合成");
    synth.addEventListener("click", () => {
      const n = valid();
      if (n) change(n, "合成", () => Admin.api("POST", path(n, "tts"), { text: text.value }), "合成");
    });
    const up = el("button", { type: "button", class: "new-upload", onclick: () => valid() && file.click() }, "上传录音…");
    file.addEventListener("change", () => upload(name.value.trim(), file));
    return el("div", { class: "toolbar admin-only", id: "new-prompt" }, el("strong", {}, "新建提示音："), name, text, synth, up, file);
  }

  Admin.tab("prompts", {
    async load(section) {
      const { el } = Admin;
      player = el("audio", { id: "prompt-player", controls: true, preload: "auto" });
      playerLabel = el("span", { class: "muted" }, "点击「试听」播放提示音");
      body = el("tbody");
      const table = el("table", { class: "grid", id: "prompts" },
        el("thead", {}, el("tr", {}, ["名称", "文本", "时长", "来源", "最后修改", "操作"].map((h) => el("th", {}, h)))), body);
      section.replaceChildren(
        el("h2", {}, "提示音"),
        el("p", { class: "muted" }, "来电时播放的语音提示。更改在下一通来电生效，无需重启。"),
        el("p", { class: "muted admin-only" },
          `上传录音：常见音频格式（WAV、MP3、FLAC、OGG 等），${limits.min_seconds}–${limits.max_seconds} 秒，` +
          "自动转换为电话音质（8 kHz 单声道）；过短、过长、无声或无法识别的文件会被拒绝，原提示音保持不变。"),
        el("div", { class: "toolbar" }, player, playerLabel),
        table, el("p"), newPromptForm());
      await refresh();
    },
  });
})();
