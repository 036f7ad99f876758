/* 拟答复: a new proposal -> its parts -> past material per part (ticked) -> an editable draft -> .docx.
   The server reads, searches and assembles (POST /replies/draft); this page keeps what staff changed:
   the parts, the ticks, the edited text of each section. */
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const form = $("reply-form");
  const state = { text: "", asks: null, ticked: null, result: null, generated: [] };

  function request(extra) {
    const body = { text: state.text, role: form.elements.role.value };
    if (state.asks) body.asks = state.asks;
    if (state.ticked) body.ticked = state.ticked;
    const date = $("draft-date").value;
    if (date) body.date = date;
    return Object.assign(body, extra || {});
  }

  async function run(message) {
    Z.status(message);
    try {
      const result = await Z.api("/replies/draft", { method: "POST", body: request() });
      show(result);
      const found = result.asks.filter((a) => a.found).length;
      Z.status(`分为 ${result.asks.length} 部分，其中 ${found} 部分找到往期材料。`);
    } catch (error) {
      Z.fail("处理失败：", error);
    }
  }

  function show(result) {
    const previous = state.result;
    state.result = result;
    state.asks = result.asks.map((a) => a.text);
    state.ticked = result.asks.map((a) => a.passages.filter((p) => p.ticked).map((p) => p.chunk_id));
    showFacts(result.proposal);
    showParts();
    showMaterial(result.asks);
    showDraft(result, previous);
    for (const id of ["proposal-step", "material-step", "draft-step"]) $(id).hidden = false;
  }

  function showFacts(p) {
    const facts = [["标题", p.title], ["提案人", p.proposer ? p.proposer + (p.proposer_kind || "") : null],
      ["编号", p.number], ["会议", p.session], ["类别", p.kind]];
    Z.clear($("proposal-facts")).append(...facts.flatMap(([k, v]) => [Z.el("dt", {}, k), Z.el("dd", {}, v || "（未读到）")]));
  }

  function showParts() {
    const list = Z.clear($("parts"));
    state.asks.forEach((text, i) => {
      const id = `part-${i}`;
      const area = Z.el("textarea", { id, rows: 2 });
      area.value = text;
      area.addEventListener("input", () => { state.asks[i] = area.value; });
      const actions = Z.el("div", { className: "actions" },
        Z.el("button", { type: "button", className: "split", onclick: () => split(i, area) }, "在光标处拆分"),
        i + 1 < state.asks.length && Z.el("button", { type: "button", className: "merge", onclick: () => merge(i) }, "与下一部分合并"),
        state.asks.length > 1 && Z.el("button", { type: "button", className: "remove", onclick: () => remove(i) }, "删除此部分"));
      list.append(Z.el("li", {}, Z.el("label", { for: id }, `第 ${i + 1} 部分`), area, actions));
    });
  }

  function edited(changeAsks) {
    changeAsks();
    state.ticked = null;  // the parts changed: their material is searched again
    showParts();
    Z.status("部分已修改，请点击“按这些部分重新查找”。");
  }
  function split(i, area) {
    const at = area.selectionStart;
    const text = area.value;
    if (!(at > 0 && at < text.length)) { Z.status("请先把光标放在要拆分的位置。", true); return; }
    edited(() => state.asks.splice(i, 1, text.slice(0, at).trim(), text.slice(at).trim()));
    $(`part-${i + 1}`).focus();
  }
  function merge(i) { edited(() => state.asks.splice(i, 2, state.asks[i] + "\n" + state.asks[i + 1])); $(`part-${i}`).focus(); }
  function remove(i) { edited(() => state.asks.splice(i, 1)); $(`part-${Math.max(0, i - 1)}`).focus(); }

  function showMaterial(asks) {
    const box = Z.clear($("material"));
    for (const ask of asks) {
      const head = Z.el("h3", {}, `第 ${ask.index + 1} 部分：${ask.text.replace(/\s+/g, "").slice(0, 50)}${ask.text.length > 50 ? "…" : ""}`);
      const group = Z.el("section", { className: "ask", "aria-label": `第 ${ask.index + 1} 部分的往期材料` }, head);
      if (!ask.found) group.append(Z.el("p", { className: "no-answer" }, ask.message));
      const list = Z.el("ol", { className: "cards" });
      ask.passages.forEach((p, j) => {
        const id = `tick-${ask.index}-${j}`;
        const tick = Z.el("input", { type: "checkbox", id, checked: p.ticked });
        tick.addEventListener("change", () => retick(ask.index, p.chunk_id, tick.checked, id));
        const tier = ["答复", "方案/报告", "其他"][p.tier];
        const card = Z.passageCard(p, { extra: [Z.el("span", { className: "badge" }, tier)] });
        card.prepend(Z.el("p", { className: "tick" }, tick, Z.el("label", { for: id }, "采用此段")));
        list.append(card);
      });
      group.append(list);
      box.append(group);
    }
  }

  async function retick(index, chunkId, on, focusId) {
    const ticks = state.ticked[index].filter((id) => id !== chunkId);
    if (on) ticks.push(chunkId);
    state.ticked[index] = ticks;
    await run("正在更新草稿…");
    const again = $(focusId);  // the list was drawn again: keyboard users stay where they were
    if (again) again.focus();
  }

  function sectionText(section) { return section.paragraphs.map((p) => p.text).join("\n"); }

  function showDraft(result, previous) {
    const draft = result.draft;
    const box = Z.clear($("draft-sections"));
    const oldAreas = previous ? [...document.querySelectorAll("#draft-sections textarea")].map((a) => a.value) : [];
    const kept = previous && previous.draft.sections.length === draft.sections.length;
    $("draft-title").value = kept && $("draft-title").value ? $("draft-title").value : draft.title;
    $("draft-recipient").value = kept && $("draft-recipient").value ? $("draft-recipient").value : draft.recipient;
    $("draft-opening").textContent = draft.opening;
    draft.sections.forEach((section, i) => {
      const generated = sectionText(section);
      const id = `section-${i}`;
      const area = Z.el("textarea", { id, rows: Math.min(12, 3 + generated.length / 60), className: "section-text" });
      // staff's edits survive a re-tick: only text they did not change is replaced
      area.value = kept && oldAreas[i] !== undefined && oldAreas[i] !== state.generated[i] ? oldAreas[i] : generated;
      const sources = section.paragraphs.flatMap((p) => p.sources);
      box.append(Z.el("div", { className: "draft-section" },
        Z.el("label", { for: id, className: "section-heading" }, section.heading || "正文"),
        area,
        sources.length ? Z.el("ul", { className: "sources", "aria-label": "出处" },
          sources.map((s) => Z.el("li", {}, Z.citationText(s.citation)))) : null));
      state.generated[i] = generated;
    });
    state.generated.length = draft.sections.length;
    $("draft-closing").textContent = draft.closing || "";
    $("draft-signature").textContent = `${draft.signature}　${draft.date}`;
    const missing = draft.missing.filter((m) => m !== "办理结果");
    $("missing").hidden = !missing.length;
    $("missing").textContent = missing.length ? `待填写：${missing.join("、")}（单位设置见 docs/drafting.md）` : "";
    showCodes(result.office.result_codes, draft.role);
  }

  function showCodes(codes, role) {
    const set = $("result-codes");
    const chosen = set.querySelector("input:checked");
    const keep = chosen ? chosen.value : null;
    set.querySelectorAll("label, input").forEach((n) => n.remove());
    set.hidden = role !== "主办";
    for (const [code, meaning] of Object.entries(codes)) {
      const id = `result-${code}`;
      set.append(Z.el("input", { type: "radio", name: "result_code", id, value: code, checked: code === keep }),
        Z.el("label", { for: id }, `${code} ${meaning}`));
    }
  }

  async function exportDocx() {
    const chosen = $("result-codes").querySelector("input:checked");
    if (form.elements.role.value === "主办" && !chosen) {
      Z.status("请先选择办理结果。", true);
      $("result-codes").querySelector("input").focus();
      return;
    }
    const sections = state.result.draft.sections.map((section, i) => ({
      heading: section.heading, text: $(`section-${i}`).value,
      sources: section.paragraphs.flatMap((p) => p.sources.map((s) => s.chunk_id)),
    }));
    const body = request({ title: $("draft-title").value, recipient: $("draft-recipient").value, sections });
    if (chosen) body.result_code = chosen.value;
    Z.status("正在生成答复文件…");
    let response;
    try {
      response = await Z.fetch("/replies/draft.docx", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    } catch (error) {
      Z.fail("导出失败：", error);
      return;
    }
    const name = await Z.save(response, state.result.draft.file_name);
    Z.status(`已下载 ${name}`);
  }

  async function readFile(file) {
    const data = new FormData();
    data.append("file", file);
    Z.status(`正在读取 ${file.name}…`);
    const response = await Z.fetch("/replies/read", { method: "POST", body: data });
    return (await response.json()).proposal.text;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = form.elements.file.files[0];
    try {
      if (file) {
        form.elements.text.value = await readFile(file);
        form.elements.file.value = "";
      }
    } catch (error) {
      Z.fail("读取文件失败：", error);
      return;
    }
    if (!form.elements.text.value.trim()) { Z.status("请粘贴提案全文或上传文件。", true); return; }
    Object.assign(state, { text: form.elements.text.value, asks: null, ticked: null, result: null, generated: [] });
    await run("正在读取提案、逐部分查找往期材料…");
  });
  if (!$("draft-date").value) {  // 成文日期: today, in the browser's own time zone
    const now = new Date();
    $("draft-date").value = new Date(now.getTime() - now.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
  }
  form.elements.role.addEventListener("change", () => { if (state.result) run("正在按承办方式更新草稿…"); });
  $("research").addEventListener("click", () => { state.ticked = null; run("正在按修改后的部分查找…"); });
  $("export-reply").addEventListener("click", exportDocx);
})();
