/* 检索: the URL holds the query and filters, so a search can be bookmarked and shared. */
"use strict";

(function () {
  const form = document.getElementById("search-form");
  const results = document.getElementById("results");
  const more = document.getElementById("more");
  const who = document.getElementById("who");
  const FIELDS = ["q", "mode", "issuer", "doc_type", "region", "year", "date_from", "date_to"];
  const PAGE = 10, MAX = 100;
  let shown = PAGE;

  who.value = localStorage.getItem("zhengce-who") || "";
  who.addEventListener("change", () => localStorage.setItem("zhengce-who", who.value.trim()));

  function fromUrl() {
    const params = new URLSearchParams(location.search);
    for (const name of FIELDS) {
      const field = form.elements[name], value = params.get(name) || (name === "mode" ? "hybrid" : "");
      if (field.tagName === "SELECT") Z.choose(field, value);
      else field.value = value;
    }
    shown = Math.min(MAX, Math.max(PAGE, Number(params.get("n")) || PAGE));
  }

  function toUrl() {
    const params = new URLSearchParams();
    for (const name of FIELDS) if (form.elements[name].value) params.set(name, form.elements[name].value);
    if (shown > PAGE) params.set("n", shown);
    const url = "/?" + params;
    if (url !== location.pathname + location.search) history.pushState(null, "", url);
  }

  async function judge(button, passage, relevant) {
    const name = who.value.trim();
    if (!name) {
      Z.status("请先填写评判人姓名，再标记相关或不相关。", true);
      who.focus();
      return;
    }
    localStorage.setItem("zhengce-who", name);
    const c = passage.citation;
    try {
      await Z.api("/web/api/judgments", { method: "POST", body: {
        query: form.elements.q.value.trim(), doc_id: c.doc_id, char_start: c.char_start, char_end: c.char_end, relevant, who: name,
      } });
    } catch (error) {
      Z.status("标记未保存：" + error.message, true);
      return;
    }
    for (const other of button.parentNode.querySelectorAll("button.judge")) other.setAttribute("aria-pressed", "false");
    button.setAttribute("aria-pressed", "true");
    Z.toast(relevant ? "已标记为相关" : "已标记为不相关");
  }

  function card(passage, query, floor) {
    const yes = Z.el("button", { type: "button", className: "judge yes", "aria-pressed": "false" }, "相关");
    const no = Z.el("button", { type: "button", className: "judge no", "aria-pressed": "false" }, "不相关");
    yes.addEventListener("click", () => judge(yes, passage, true));
    no.addEventListener("click", () => judge(no, passage, false));
    return Z.passageCard(passage, { query, floor, extra: [yes, no] });
  }

  async function showMarks(query) {
    const name = who.value.trim();
    if (!name) return;
    const marks = await Z.api("/web/api/judgments?" + new URLSearchParams({ query }));
    for (const mark of marks.filter((m) => m.who === name)) {
      const selector = `li.card[data-doc-id="${CSS.escape(mark.doc_id)}"][data-start="${mark.char_start}"][data-end="${mark.char_end}"]`;
      const node = results.querySelector(selector);
      if (node) node.querySelector(mark.relevant ? "button.yes" : "button.no").setAttribute("aria-pressed", "true");
    }
  }

  async function run() {
    Z.loadFacets(form).catch((error) => Z.status("筛选项未能加载：" + error.message, true));
    const query = form.elements.q.value.trim();
    if (!query) {
      Z.clear(results);
      more.hidden = true;
      return;
    }
    Z.status("正在检索…");
    const filters = Z.filterValues(form);
    try {
      const found = await Z.api("/search", { method: "POST", body: {
        query, top_k: shown, mode: form.elements.mode.value, filters: Object.keys(filters).length ? filters : null,
      } });
      const cards = found.passages.map((p) => card(p, query, found.floor));
      if (found.found || !cards.length) Z.clear(results).append(...cards);
      else Z.clear(results).append(...Z.notFound("未找到足够相关的内容：文档库里没有与检索内容明显相符的段落。",
        `最接近的 ${cards.length} 条段落（相关程度较低，仅供参考）`, cards));
      if (!cards.length) Z.status("没有找到结果：换个说法，或放宽筛选条件。");
      else Z.status(found.found ? `共显示 ${cards.length} 条结果` : "未找到足够相关的内容。");
      more.hidden = found.passages.length < shown || shown >= MAX;
      await showMarks(query);
    } catch (error) {
      Z.status("检索失败：" + error.message, true);
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    shown = PAGE;
    toUrl();
    run();
  });
  for (const field of form.querySelectorAll("select[data-facet], input[type=date]")) {
    field.addEventListener("change", () => { shown = PAGE; toUrl(); run(); });
  }
  document.getElementById("clear-filters").addEventListener("click", () => {
    for (const field of form.querySelectorAll("select[data-facet], input[type=date]")) field.value = "";
    shown = PAGE;
    toUrl();
    run();
  });
  more.addEventListener("click", () => {
    shown = Math.min(MAX, shown + PAGE);
    toUrl();
    run();
  });
  window.addEventListener("popstate", () => { fromUrl(); run(); });

  fromUrl();
  run();
  if (!form.elements.q.value) form.elements.q.focus();
})();
