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
    for (const match of found.matches) {
      const part = text.slice(match.part_char_start, match.part_char_end).replace(/\s+/g, "");
      matches.append(Z.el("li", {},
        Z.el("p", { className: "part" }, `对应新稿第 ${match.part + 1} 部分：“${part.slice(0, 60)}${part.length > 60 ? "…" : ""}”`),
        Z.passageCard(match.passage, { heading: false })));
    }
    card.append(matches);
    return card;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = form.elements.text.value;
    if (!text.trim()) return;
    Z.status("正在查找往期相似文件…");
    exportButton.disabled = true;
    try {
      const result = await Z.api("/similar", { method: "POST", body: { text, top_k: Number(form.elements.top_k.value) } });
      last = { text, result };
      const cards = result.documents.map((found) => documentCard(found, text, result.floor));
      if (result.found || !cards.length) Z.clear(list).append(...cards);
      else Z.clear(list).append(...Z.notFound("未找到处理过同类事项的往期文件：文档库里没有与新稿事项相符的答复、方案或报告。",
        `最接近的 ${cards.length} 份文件（不是同类事项，仅供参考）`, cards));
      if (!cards.length) Z.status("没有找到往期文件。");
      else Z.status(result.found ? `找到 ${cards.length} 份往期文件，新稿分为 ${result.parts.length} 部分比对。` : "未找到处理过同类事项的往期文件。");
      exportButton.disabled = !result.documents.length;
    } catch (error) {
      Z.status("查找失败：" + error.message, true);
    }
  });

  exportButton.addEventListener("click", async () => {
    if (!last) return;
    Z.status("正在生成参考材料…");
    const response = await fetch("/web/api/precedents.docx", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(last),
    });
    if (!response.ok) {
      Z.status("导出失败：" + (await Z.errorText(response)), true);
      return;
    }
    const url = URL.createObjectURL(await response.blob());
    const link = Z.el("a", { href: url, download: "参考材料.docx" });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    Z.status("参考材料已下载。");
  });
})();
