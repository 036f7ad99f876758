/* 检索: the URL holds the query and filters, so a search can be bookmarked and shared. */
"use strict";

(function () {
  const form = document.getElementById("search-form");
  const results = document.getElementById("results");
  const more = document.getElementById("more");
  const who = document.getElementById("who");
  const toResults = document.getElementById("to-results");
  const searching = Z.task(document.getElementById("search-button"), document.getElementById("cancel"));
  const FIELDS = ["q", "mode", "issuer", "doc_type", "region", "year", "date_from", "date_to"];
  const PAGE = 10, MAX = 100;
  let shown = PAGE;
  let summary = "";  // what the status line says about the results on screen

  who.value = localStorage.getItem("zhengce-who") || "";
  who.addEventListener("change", () => localStorage.setItem("zhengce-who", who.value.trim()));

  function fromUrl() {
    const params = new URLSearchParams(location.search);
    for (const name of FIELDS) {
      const field = form.elements[name], value = params.get(name) || (name === "mode" ? "hybrid" : "");
      if (field.tagName === "SELECT") Z.choose(field, value);
      else field.value = field.classList.contains("date") ? Z.chineseDate(value) : value;
    }
    shown = Math.min(MAX, Math.max(PAGE, Number(params.get("n")) || PAGE));
  }

  function toUrl() {
    const params = new URLSearchParams();
    for (const name of FIELDS) {
      const field = form.elements[name];
      if (field.value) params.set(name, field.classList.contains("date") ? Z.isoDate(field.value) : field.value);
    }
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
      Z.fail("标记未保存：", error);
      return;
    }
    for (const other of button.parentNode.querySelectorAll("button.judge")) other.setAttribute("aria-pressed", "false");
    button.setAttribute("aria-pressed", "true");
    Z.status(summary);  // a request for the judge's name, or a failed mark, is answered
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

  function clearResults() {
    Z.clear(results);
    more.hidden = true;
    toResults.hidden = true;
  }

  /* the search the form states now; old results stay dimmed while it runs and go when it fails */
  function run() {
    const facets = Z.loadFacets(form).catch((error) => error);  // its failure is said once the search has its say
    const query = form.elements.q.value.trim();
    if (!query) {
      clearResults();
      Z.status("");
      return Promise.resolve();
    }
    const filters = Z.filterValues(form);
    return searching(async (signal) => {
      Z.status("正在检索…");
      results.setAttribute("aria-busy", "true");
      more.hidden = true;
      try {
        const found = await Z.api("/search", { method: "POST", signal, body: {
          query, top_k: shown, mode: form.elements.mode.value, filters: Object.keys(filters).length ? filters : null,
        } });
        const cards = found.passages.map((p) => card(p, query, found.floor));
        if (found.found || !cards.length) Z.clear(results).append(...cards);
        else Z.clear(results).append(...Z.notFound("未找到足够相关的内容：文档库里没有与检索内容明显相符的段落。",
          `最接近的 ${cards.length} 条段落（相关程度较低，仅供参考）`, cards));
        summary = !cards.length ? "没有找到结果：换个说法，或放宽筛选条件。"
          : found.found ? `共显示 ${cards.length} 条结果` : "未找到足够相关的内容。";
        Z.status(summary);
        const facetError = await facets;
        if (facetError instanceof Error) Z.fail("筛选项未能加载：", facetError);
        more.hidden = !found.found || found.passages.length < shown || shown >= MAX;
        toResults.hidden = !cards.length;
        sessionStorage.setItem("zhengce-results", location.pathname + location.search);
        await showMarks(query).catch(() => {});
      } catch (error) {
        if (!error.superseded) clearResults();
        Z.fail("检索失败：", error);
      } finally {
        results.removeAttribute("aria-busy");
      }
    });
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    shown = PAGE;
    toUrl();
    run();
  });
  for (const field of form.querySelectorAll("select[data-facet], input.date")) {
    field.addEventListener("change", () => {
      if (field.classList.contains("date")) field.value = Z.chineseDate(Z.isoDate(field.value));
      shown = PAGE; toUrl(); run();
    });
  }
  toResults.addEventListener("click", (event) => { event.preventDefault(); results.focus(); });
  document.getElementById("clear-filters").addEventListener("click", () => {
    for (const field of form.querySelectorAll("select[data-facet], input.date")) field.value = "";
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
