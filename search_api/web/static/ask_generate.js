/* 问答 with the office's language model (shown only when one is configured): /ask/stream. The model's
   text is shown as an unchecked draft while it is written, then replaced by the sentences that passed
   the citation check, each with the passages it cites; failed sentences are listed apart, with why. */
"use strict";

(function () {
  const form = document.getElementById("ask-form");
  const box = document.getElementById("generate");
  if (!form || !box) return;
  const section = document.getElementById("generated");
  const draft = document.getElementById("draft");
  const checked = document.getElementById("checked");
  const droppedBox = document.getElementById("dropped-box");
  const dropped = document.getElementById("dropped");

  function showChecked(answer, question) {
    draft.hidden = true;
    Z.clear(checked);
    Z.clear(dropped);
    const generated = answer.generated;
    if (answer.mode === "generated") {
      checked.append(...generated.sentences.map((s) => Z.el("li", { className: "card" },
        Z.el("p", { className: "generated-sentence" }, s.text),
        Z.el("ol", { className: "cards cited" }, ...s.citations.map((c, i) => Z.passageCard(
          { text: `[${s.markers[i]}] ${c.title || c.source}`, highlights: [], citation: c }, { query: question, heading: false }))))));
    } else {
      checked.append(Z.el("li", { className: "no-answer" }, `${answer.why_message || ""}。以下是从文件中摘录的原文。`));
      checked.append(...answer.sentences.map((s) => Z.passageCard({ text: s.text, highlights: [], citation: s.citation }, { query: question })));
    }
    const failed = generated ? generated.dropped : [];
    dropped.append(...failed.map((d) => Z.el("li", {}, Z.el("span", { className: "dropped-text" }, d.text), ` —— ${d.reason}`)));
    droppedBox.hidden = !failed.length;
    Z.status(answer.no_answer ? "没有可靠的答案。" : answer.mode === "generated"
      ? `回答由 ${generated.sentences.length} 句通过引用核查的句子组成${failed.length ? `，${failed.length} 句未通过已删除` : ""}。`
      : "已改为摘录原文回答。");
  }

  function handle(block, question) {
    const name = (block.match(/^event: (.*)$/m) || [])[1];
    const data = JSON.parse((block.match(/^data: (.*)$/m) || [])[1] || "null");
    if (name === "passages") {
      Z.clear(document.getElementById("passages")).append(...data.passages.map((p) => Z.passageCard(p, { query: question })));
      document.getElementById("read").hidden = !data.passages.length;
    } else if (name === "delta") {
      draft.hidden = false;
      draft.textContent += data.text;
    } else if (name === "answer") {
      showChecked(data, question);
    }
  }

  // registered before ask.js (its script comes first): with the box ticked this handler answers alone
  form.addEventListener("submit", async (event) => {
    if (!box.checked) {
      section.hidden = true;
      return;
    }
    event.preventDefault();
    event.stopImmediatePropagation();
    const question = form.elements.question.value.trim();
    if (!question) return;
    document.getElementById("answer").hidden = true;
    section.hidden = false;
    draft.hidden = true;
    draft.textContent = "";
    Z.clear(checked);
    droppedBox.hidden = true;
    Z.status("语言模型正在撰写回答，写完后逐句核查引用…");
    try {
      const response = await Z.fetch("/ask/stream", {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ question }) });
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          handle(buffer.slice(0, cut), question);
          buffer = buffer.slice(cut + 2);
        }
      }
    } catch (error) {
      section.hidden = true;
      Z.fail("提问失败：", error);
    }
  });
})();
