/* 原文: the cleaned text every citation points into, the cited span highlighted at its offsets. */
"use strict";

(function () {
  const viewer = document.getElementById("viewer");
  const docId = viewer.dataset.docId;
  const params = new URLSearchParams(location.search);
  const start = params.has("start") ? Number(params.get("start")) : null;
  const end = params.has("end") ? Number(params.get("end")) : null;

  function metaList(doc) {
    const rows = [["标题", doc.title], ["文号", doc.doc_number], ["发文机关", doc.issuer], ["成文日期", Z.chineseDate(doc.date)],
      ["文种", doc.doc_type], ["地区", doc.region], ["提案/建议号", doc.proposal_number],
      ["主送", (doc.recipients || []).join("、")], ["抄送", (doc.cc || []).join("、")], ["来源文件", doc.source]];
    const list = Z.clear(document.getElementById("doc-meta"));
    for (const [label, value] of rows) if (value) list.append(Z.el("dt", {}, label), Z.el("dd", {}, value));
  }

  /* text nodes split at the outline anchors; [start, end) inside one <mark class="cited"> */
  function render(text, anchors, cited) {
    const body = Z.clear(document.getElementById("doc-text"));
    const cuts = new Set([0, text.length, ...anchors]);
    if (cited) { cuts.add(cited[0]); cuts.add(cited[1]); }
    const points = [...cuts].filter((p) => p >= 0 && p <= text.length).sort((a, b) => a - b);
    const anchorSet = new Set(anchors);
    let mark = null;
    for (let i = 0; i < points.length; i++) {
      const at = points[i];
      if (cited && at === cited[0]) { mark = Z.el("mark", { className: "cited", id: "cited", tabindex: "-1" }); body.append(mark); }
      if (cited && at === cited[1]) mark = null;
      const container = mark || body;
      if (anchorSet.has(at)) container.append(Z.el("span", { id: `at-${at}`, className: "anchor" }));
      if (i + 1 < points.length) container.append(document.createTextNode(text.slice(at, points[i + 1])));
    }
    return body.querySelector("#cited");
  }

  async function load() {
    let doc, outline;
    try {
      [doc, outline] = await Promise.all([
        Z.api(`/documents/${encodeURIComponent(docId)}`),
        Z.api(`/web/api/documents/${encodeURIComponent(docId)}/outline`),
      ]);
    } catch (error) {
      Z.status("无法打开文件：" + error.message, true);
      return;
    }
    document.title = `${doc.title || doc.source} · 原文 · 政策检索`;
    document.getElementById("doc-title").textContent = doc.title || doc.source;
    metaList(doc);
    const list = Z.clear(document.getElementById("outline"));
    for (const entry of outline) {
      list.append(Z.el("li", { className: `depth-${Math.min(entry.depth, 4)}` }, Z.el("a", { href: `#at-${entry.char_start}` }, entry.heading)));
    }
    if (!outline.length) list.append(Z.el("li", { className: "hint" }, "此文件没有识别出标题层级"));
    const valid = start !== null && end !== null && start >= 0 && end > start && end <= doc.text.length;
    const mark = render(doc.text, outline.map((e) => e.char_start), valid ? [start, end] : null);
    const citation = { ...doc, char_start: start, char_end: end };
    const copy = document.getElementById("copy-citation");
    copy.hidden = false;
    copy.addEventListener("click", () => Z.copy(Z.citationText(citation, valid ? doc.text.slice(start, end) : null)));
    if (mark) {
      mark.scrollIntoView({ block: "center" });
      Z.status(`已定位到引用段落（第 ${start}–${end} 字）`);
    } else if (start !== null) {
      Z.status("引用位置不在此文件的范围内，显示全文。", true);
    }
  }

  load();
})();
