/* 原文: the cleaned text every citation points into, the cited span highlighted at its offsets and the
   query's terms marked; the title and key facts stay in view; the original file, its page with the
   cited lines boxed, and corrections of the file's metadata by staff with the write role. */
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const viewer = $("viewer");
  const docId = viewer.dataset.docId;
  const base = `/web/api/documents/${encodeURIComponent(docId)}`;
  const params = new URLSearchParams(location.search);
  const start = params.has("start") ? Number(params.get("start")) : null;
  const end = params.has("end") ? Number(params.get("end")) : null;
  const query = params.get("q") || "";
  const FIELDS = [["title", "标题"], ["doc_number", "文号"], ["issuer", "发文机关"], ["date", "成文日期"],
    ["doc_type", "文种"], ["region", "地区"], ["proposal_number", "提案/建议号"]];
  let doc = null, view = null, cited = null, shownPage = 1;

  function backLink() {
    const link = $("back-link");
    const results = sessionStorage.getItem("zhengce-results");
    if (results && (!query || results.includes(`q=${encodeURIComponent(query)}`))) link.href = results;
    else if (query) link.href = "/?" + new URLSearchParams({ q: query });
    else { link.href = "/web/library"; link.textContent = "← 返回文档库"; }
  }

  function showMeta() {
    const corrected = (view && view.correction) ? view.correction.fields : {};
    const rows = [...FIELDS.map(([name, label]) => [label, name === "date" ? Z.chineseDate(doc[name]) : doc[name], name]),
      ["主送", (doc.recipients || []).join("、")], ["抄送", (doc.cc || []).join("、")], ["来源文件", doc.source]];
    const list = Z.clear($("doc-meta"));
    for (const [label, value, name] of rows) {
      if (!value) continue;
      list.append(Z.el("dt", {}, label), Z.el("dd", { "data-field": name || null }, value,
        name && name in corrected ? Z.el("span", { className: "badge corrected" }, "人工更正") : null));
    }
    const facts = [doc.doc_number, doc.issuer, Z.chineseDate(doc.date)].filter(Boolean);
    $("doc-facts").textContent = facts.join("　");
    $("doc-title").textContent = doc.title || doc.source;
    document.title = `${doc.title || doc.source} · 原文 · 政策检索`;
  }

  /* text nodes split at the outline anchors and the term marks; [start, end) inside one <mark class="cited"> */
  function render(text, anchors, citedRange, terms) {
    const body = Z.clear($("doc-text"));
    const cuts = new Set([0, text.length, ...anchors]);
    if (citedRange) { cuts.add(citedRange[0]); cuts.add(citedRange[1]); }
    for (const [a, b] of terms) { cuts.add(a); cuts.add(b); }
    const points = [...cuts].filter((p) => p >= 0 && p <= text.length).sort((a, b) => a - b);
    const anchorSet = new Set(anchors);
    const inTerm = (at) => terms.some(([a, b]) => a <= at && at < b);
    let mark = null;
    for (let i = 0; i < points.length; i++) {
      const at = points[i];
      if (citedRange && at === citedRange[0]) { mark = Z.el("mark", { className: "cited", id: "cited", tabindex: "-1" }); body.append(mark); }
      if (citedRange && at === citedRange[1]) mark = null;
      const container = mark || body;
      if (anchorSet.has(at)) container.append(Z.el("span", { id: `at-${at}`, className: "anchor" }));
      if (i + 1 < points.length) {
        const piece = text.slice(at, points[i + 1]);
        container.append(inTerm(at) ? Z.el("mark", { className: "term" }, piece) : document.createTextNode(piece));
      }
    }
    return body.querySelector("#cited");
  }

  async function load() {
    let outline, terms = [];
    try {
      [doc, outline, view] = await Promise.all([
        Z.api(`/documents/${encodeURIComponent(docId)}`),
        Z.api(`${base}/outline`),
        Z.api(`${base}/view`),
      ]);
      if (query) terms = await Z.api(`${base}/marks?` + new URLSearchParams({ q: query })).catch(() => []);
    } catch (error) {
      Z.fail("无法打开文件：", error);
      return;
    }
    showMeta();
    showUnread();
    const list = Z.clear($("outline"));
    for (const entry of outline) {
      list.append(Z.el("li", { className: `depth-${Math.min(entry.depth, 4)}` }, Z.el("a", { href: `#at-${entry.char_start}` }, entry.heading)));
    }
    if (!outline.length) list.append(Z.el("li", { className: "hint" }, "此文件没有识别出标题层级"));
    const valid = start !== null && end !== null && start >= 0 && end > start && end <= doc.text.length;
    cited = valid ? [start, end] : null;
    const mark = render(doc.text, outline.map((e) => e.char_start), cited, terms);
    const citation = { ...doc, char_start: start, char_end: end };
    $("copy-citation").hidden = false;
    $("copy-citation").addEventListener("click", () => Z.copy(Z.citationText(citation, valid ? doc.text.slice(start, end) : null)));
    $("download-original").hidden = !view.original;
    $("show-page").hidden = !view.pages;
    $("edit-meta").hidden = false;
    shownPage = cited ? pageOf(cited[0]) : 1;
    if (mark) {
      mark.scrollIntoView({ block: "center" });
      Z.status(`已定位到引用段落（第 ${pageOf(start)} 页，第 ${start}–${end} 字）` + (terms.length ? `，检索词已标出 ${terms.length} 处` : ""));
    } else if (start !== null) {
      Z.status("引用位置不在此文件的范围内，显示全文。", true);
    } else if (terms.length) {
      Z.status(`检索词已标出 ${terms.length} 处。`);
    }
  }

  /* pages whose text was not read: staff must know the search cannot find what they hold */
  function showUnread() {
    const unread = view.unread_pages || [];
    $("unread-pages").hidden = !unread.length;
    Z.clear($("unread-list")).append(...unread.map((entry) => Z.el("li", {}, ...Z.explained("", entry))));
  }

  function pageOf(offset) {
    const starts = doc.page_starts || [];
    let page = 1;
    for (let i = 0; i < starts.length; i++) if (starts[i] <= offset) page = i + 1;
    return page;
  }

  /* ---------------------------------------------------------------- the original */

  async function download() {
    Z.status("正在下载原件…");
    try {
      const response = await Z.fetch(`/documents/${encodeURIComponent(docId)}/original`, );
      const name = await Z.save(response, doc.source);
      Z.status(`已下载原件 ${name}`);
    } catch (error) {
      Z.fail("下载原件失败：", error);
    }
  }

  async function showPage(page) {
    shownPage = Math.min(Math.max(1, page), view.pages);
    const section = $("page-view");
    section.hidden = false;
    $("doc-body").classList.add("with-page");
    $("show-page").setAttribute("aria-expanded", "true");
    $("page-number").textContent = `第 ${shownPage} 页，共 ${view.pages} 页`;
    $("prev-page").disabled = shownPage <= 1;
    $("next-page").disabled = shownPage >= view.pages;
    $("page-note").textContent = "正在读取这一页…";
    Z.clear($("page-boxes"));
    try {
      const [layout, image] = await Promise.all([
        Z.api(`${base}/pages/${shownPage}`),
        Z.fetch(`${base}/pages/${shownPage}/image`).then((r) => r.blob()),
      ]);
      const img = $("page-image");
      if (img.src.startsWith("blob:")) URL.revokeObjectURL(img.src);
      img.src = URL.createObjectURL(image);
      img.alt = `${doc.title || doc.source} 第 ${shownPage} 页`;
      const quoted = cited ? layout.lines.filter((l) => l.char_start < cited[1] && l.char_end > cited[0]) : [];
      for (const line of quoted) {
        const [x0, y0, x1, y1] = line.box;
        const box = Z.el("div", { className: "line-box", title: "引用的段落" });
        Object.assign(box.style, { left: `${x0 * 100}%`, top: `${y0 * 100}%`, width: `${(x1 - x0) * 100}%`, height: `${(y1 - y0) * 100}%` });
        $("page-boxes").append(box);
      }
      $("page-note").textContent = quoted.length ? `框出的是引用段落所在的 ${quoted.length} 行。`
        : cited ? "引用段落不在这一页。" : "";
      if (quoted.length) $("page-boxes").firstChild.scrollIntoView({ block: "center" });
    } catch (error) {
      $("page-note").textContent = "";
      Z.fail("无法显示原页：", error);
    }
  }

  /* ---------------------------------------------------------------- corrections */

  function openForm() {
    const form = $("meta-form");
    const fields = Z.clear($("meta-fields"));
    for (const [name, label] of FIELDS) {
      const input = Z.el("input", { id: `m-${name}`, name, type: "text", autocomplete: "off",
        placeholder: name === "date" ? "2024年3月20日" : null });
      input.value = name === "date" ? (Z.chineseDate(doc.date) || "") : (doc[name] || "");
      fields.append(Z.el("label", { for: `m-${name}` }, label), input);
    }
    $("meta-signin").hidden = view.can_correct;  // the server checks again when it is saved
    $("meta-signin-link").href = "/web/signin?next=" + encodeURIComponent(location.pathname + location.search);
    $("save-meta").disabled = !view.can_correct;
    form.hidden = false;
    $("edit-meta").setAttribute("aria-expanded", "true");
    $("m-title").focus();
  }

  function closeForm() {
    $("meta-form").hidden = true;
    $("edit-meta").setAttribute("aria-expanded", "false");
    $("edit-meta").focus();
  }

  async function saveForm(event) {
    event.preventDefault();
    const body = {};
    for (const [name] of FIELDS) {
      const value = $(`m-${name}`).value.trim();
      const now = name === "date" ? Z.isoDate(value) : value;
      if (now !== (doc[name] || "")) body[name] = now;
    }
    if (!Object.keys(body).length) { Z.status("没有修改任何内容。"); return; }
    $("save-meta").disabled = true;
    Z.status("正在保存更正并重新索引这份文件…");
    try {
      const result = await Z.api(`/documents/${encodeURIComponent(docId)}/metadata`, { method: "PATCH", body });
      Object.assign(doc, result);
      view = await Z.api(`${base}/view`);
      showMeta();
      $("meta-box").open = true;
      closeForm();
      const names = Object.keys(result.corrected).map((n) => FIELDS.find(([f]) => f === n)[1]);
      Z.status(`已更正：${names.join("、")}。更正已保存，重新索引后仍然有效，并已记入审计日志。`);
    } catch (error) {
      Z.fail("更正未保存：", error);
    } finally {
      $("save-meta").disabled = false;
    }
  }

  $("download-original").addEventListener("click", download);
  $("show-page").addEventListener("click", () => {
    if ($("page-view").hidden) showPage(shownPage);
    else { $("page-view").hidden = true; $("doc-body").classList.remove("with-page"); $("show-page").setAttribute("aria-expanded", "false"); }
  });
  $("prev-page").addEventListener("click", () => showPage(shownPage - 1));
  $("next-page").addEventListener("click", () => showPage(shownPage + 1));
  $("edit-meta").addEventListener("click", openForm);
  $("cancel-meta").addEventListener("click", closeForm);
  $("meta-form").addEventListener("submit", saveForm);
  backLink();
  load();
})();
