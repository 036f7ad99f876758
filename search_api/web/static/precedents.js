/* 找先例: past documents like a pasted proposal or draft, and the .docx 参考材料 of the list. */
"use strict";

(function () {
  const form = document.getElementById("similar-form");
  const list = document.getElementById("precedents");
  const exportButton = document.getElementById("export-docx");
  let last = null; // { text, result } of the list on screen

  function documentCard(found, text, floor) {
    const d = found.document;
    const first = found.matches[0];
    const href = first ? Z.viewerHref(first.passage.citation) : `/web/doc/${encodeURIComponent(d.doc_id)}`;
    const card = Z.el("li", { className: "card" + (found.weak ? " weak" : ""), "data-doc-id": d.doc_id },
      Z.el("h2", {}, `${found.rank}. `, Z.el("a", { href }, d.title || d.source)),
      Z.el("p", { className: "meta-line" },
        d.doc_number && Z.el("span", { className: "doc-number" }, d.doc_number),
        d.issuer && Z.el("span", {}, d.issuer), d.date && Z.el("span", {}, Z.chineseDate(d.date)),
        Z.confidenceBadge(found.confidence, floor, "是否同类事项")));
    const matches = Z.el("ol", { className: "cards" });
    for (const group of byPassage(found.matches)) {  // a passage that matches two parts is shown once
      const numbers = group.map((m) => m.part + 1).join("、");
      const excerpts = group.map((m) => {
        const part = text.slice(m.part_char_start, m.part_char_end).replace(/\s+/g, "");
        return `“${part.slice(0, 60)}${part.length > 60 ? "…" : ""}”`;
      });
      matches.append(Z.el("li", {},
        Z.el("p", { className: "part" }, `对应新稿第 ${numbers} 部分：${excerpts.join("；")}`),
        Z.passageCard(group[0].passage, { heading: false })));
    }
    card.append(matches);
    return card;
  }

  /* the matches of one document, grouped by the passage they quote, in the order first matched */
  function byPassage(matches) {
    const groups = new Map();
    for (const match of matches) {
      const c = match.passage.citation;
      const key = `${c.doc_id}:${c.char_start}:${c.char_end}`;
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(match);
    }
    return [...groups.values()];
  }

  const searching = Z.task(document.getElementById("similar-button"), document.getElementById("cancel"));

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = form.elements.text.value;
    if (!text.trim()) return;
    searching((signal) => find(text, signal));
  });

  async function find(text, signal) {
    const long = text.length > 3000 ? `（新稿 ${text.length} 字，需要的时间较长，可随时取消）` : "";
    Z.status(`正在查找往期相似文件…${long}`);
    exportButton.disabled = true;
    last = null;
    list.setAttribute("aria-busy", "true");
    try {
      const result = await Z.api("/similar", { method: "POST", signal, body: { text, top_k: Number(form.elements.top_k.value) } });
      last = { text, result };
      const cards = result.documents.map((found) => documentCard(found, text, result.floor));
      if (result.found || !cards.length) Z.clear(list).append(...cards);
      else Z.clear(list).append(...Z.notFound("未找到处理过同类事项的往期文件：文档库里没有与新稿事项相符的答复、方案或报告。",
        `最接近的 ${cards.length} 份文件（不是同类事项，仅供参考）`, cards));
      if (!cards.length) Z.status("没有找到往期文件。");
      else Z.status(result.found ? `找到 ${cards.length} 份往期文件，新稿分为 ${result.parts.length} 部分比对。` : "未找到处理过同类事项的往期文件。");
      exportButton.disabled = !result.documents.length;
    } catch (error) {
      Z.clear(list);
      Z.fail("查找失败：", error);
    } finally {
      list.removeAttribute("aria-busy");
    }
  }

  exportButton.addEventListener("click", async () => {
    if (!last) return;
    Z.status("正在生成参考材料…");
    let response;
    try {
      response = await Z.fetch("/web/api/precedents.docx", {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(last),
      });
    } catch (error) {
      Z.fail("导出失败：", error);
      return;
    }
    await Z.save(response, "参考材料.docx");
    Z.status("参考材料已下载。");
  });
})();
