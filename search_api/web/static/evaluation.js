/* 评测: 命中测试 (what each retriever finds for one question) and a run of the office's judged set in
   the background, its progress shown until the page reloads with the result. */
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const testing = Z.task($("hit-button"), $("cancel"));

  for (const node of document.querySelectorAll(".iso-time")) node.textContent = Z.chineseDateTime(node.textContent.trim());

  function column(retriever, floor, query) {
    const list = Z.el("ol", { className: "cards" }, ...retriever.passages.map((p) => Z.passageCard(p, { query, floor })));
    return Z.el("section", { className: "hit-column", "data-retriever": retriever.name },
      Z.el("h3", {}, retriever.label),
      retriever.passages.length ? list : Z.el("p", { className: "hint" }, "没有结果。"));
  }

  $("hit-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const query = $("hit-query").value.trim();
    if (!query) return;
    testing(async (signal) => {
      Z.status("正在用三种方式检索…");
      try {
        const found = await Z.api("/web/api/hit-test", { method: "POST", body: { query }, signal });
        Z.clear($("hit-results")).append(...found.retrievers.map((r) => column(r, found.floor, query)));
        Z.status("每种方式的前 5 条结果如下；“相关程度”是经过校准的可信度。");
      } catch (error) {
        Z.clear($("hit-results"));
        Z.fail("命中测试失败：", error);
      }
    });
  });

  /* ------------------------------------------------------------------ the judged set */

  const button = $("run-eval");
  const progress = $("run-progress");
  const state = $("run-state");

  function show(run) {
    progress.hidden = run.state !== "running";
    if (run.total) progress.value = run.done / run.total; else progress.removeAttribute("value");
    if (run.state === "running") state.textContent = run.total ? `正在评测：已检索 ${run.done} / ${run.total} 次…` : "正在准备评测…";
    if (run.state === "failed") Z.clear(state).append(...Z.explained("评测失败：", Z.failure(run.message || "", run.error || "", 0)));
    button.disabled = run.state === "running";
  }

  async function follow() {
    for (;;) {
      let run;
      try {
        run = await Z.api("/web/api/evaluation/runs/current");
      } catch (error) {
        Z.clear(state).append(...Z.explained("无法读取评测进度：", error));
        button.disabled = false;
        return;
      }
      show(run);
      if (run.state === "done") {
        state.textContent = "评测完成，正在显示结果…";
        location.reload();
        return;
      }
      if (run.state !== "running") return;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  button.addEventListener("click", async () => {
    button.disabled = true;
    state.textContent = "正在开始评测…";
    try {
      show(await Z.api("/web/api/evaluation/runs", { method: "POST" }));
      await follow();
    } catch (error) {
      Z.clear(state).append(...Z.explained("评测没有开始：", error));
      button.disabled = false;
    }
  });

  Z.api("/web/api/evaluation/runs/current").then((run) => { if (run.state === "running") follow(); }).catch(() => {});
})();
