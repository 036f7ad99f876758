/* 问答: answer sentences quoted from the documents, or a plain statement that none is reliable. */
"use strict";

(function () {
  const form = document.getElementById("ask-form");
  const section = document.getElementById("answer");
  const sentences = document.getElementById("sentences");
  const noAnswer = document.getElementById("no-answer");
  const read = document.getElementById("read");
  const readTitle = read.querySelector("summary");
  const fact = document.getElementById("fact");

  /* the asked fact's place inside an answer sentence, to mark it there too */
  function spanIn(sentence, span) {
    const c = sentence.citation;
    if (!span || span.doc_id !== c.doc_id || span.char_start < c.char_start || span.char_end > c.char_end) return [];
    return [[span.char_start - c.char_start, span.char_end - c.char_start]];
  }

  const asking = Z.task(document.getElementById("ask-button"), document.getElementById("cancel"));

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const question = form.elements.question.value.trim();
    if (question) asking((signal) => ask(question, signal));
  });

  async function ask(question, signal) {
    Z.status("正在查找答案…");
    section.setAttribute("aria-busy", "true");
    try {
      const answer = await Z.api("/ask", { method: "POST", body: { question }, signal });
      section.hidden = false;
      Z.clear(sentences);
      Z.clear(fact);
      noAnswer.hidden = !answer.no_answer;
      fact.hidden = answer.no_answer || !answer.answer_span;
      if (answer.no_answer) {
        noAnswer.textContent = "未找到可靠的答案：" + (answer.message || "文件中没有写明这个问题的答案。") +
          " 可以换个问法，或到“检索”中查看相关段落。";
      } else {
        if (answer.answer_span) {
          fact.append(Z.el("span", { className: "fact-text" }, answer.answer_span.text),
            Z.confidenceBadge(answer.confidence, answer.floor, "可信程度"));
        }
        sentences.append(...answer.sentences.map((s) => Z.passageCard(
          { text: s.text, highlights: spanIn(s, answer.answer_span), citation: s.citation }, { query: question })));
      }
      Z.clear(document.getElementById("passages")).append(...answer.passages.map((p) => Z.passageCard(p, { query: question, floor: answer.floor })));
      readTitle.textContent = answer.no_answer ? "最接近的段落（仅供参考）" : "依据的段落";
      read.hidden = !answer.passages.length;
      Z.status(answer.no_answer ? "未找到可靠的答案。" : `回答由 ${answer.sentences.length} 句原文组成。`);
    } catch (error) {
      section.hidden = true;  // the previous question's answer must not stand under this one's failure
      read.hidden = true;
      Z.fail("提问失败：", error);
    } finally {
      section.removeAttribute("aria-busy");
    }
  }
})();
