/* 问答: answer sentences quoted from the documents, or a plain statement that none is reliable. */
"use strict";

(function () {
  const form = document.getElementById("ask-form");
  const section = document.getElementById("answer");
  const sentences = document.getElementById("sentences");
  const noAnswer = document.getElementById("no-answer");
  const read = document.getElementById("read");

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const question = form.elements.question.value.trim();
    if (!question) return;
    Z.status("正在查找答案…");
    try {
      const answer = await Z.api("/ask", { method: "POST", body: { question } });
      section.hidden = false;
      Z.clear(sentences);
      noAnswer.hidden = !answer.no_answer;
      if (answer.no_answer) {
        noAnswer.textContent = "文件中没有能可靠回答这个问题的内容。可以换个问法，或到“检索”中查看相关段落。";
      } else {
        sentences.append(...answer.sentences.map((s) => Z.passageCard({ text: s.text, highlights: [], citation: s.citation }, { query: question })));
      }
      Z.clear(document.getElementById("passages")).append(...answer.passages.map((p) => Z.passageCard(p, { query: question })));
      read.hidden = !answer.passages.length;
      Z.status(answer.no_answer ? "没有可靠的答案。" : `回答由 ${answer.sentences.length} 句原文组成。`);
    } catch (error) {
      Z.status("提问失败：" + error.message, true);
    }
  });
})();
