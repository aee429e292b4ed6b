// Visits due (#/visits): the contract's due list for the user's town, overdue first, and the
// "record visit" form (method, time, visitor, findings, refusal with its reason) that posts
// POST /visits; a 422 is shown next to the field it names. #/visits?elder_id=X opens the form.

import { ApiDown, ApiError, CONNECTION_EVENT } from "../api.js";
import { dateTime, el, fill, fromLocalInput, localInput } from "../format.js";
import { makeT } from "../i18n.js";
import { clearFieldErrors, formField, label, section, showFieldError, tag } from "./parts.js";

const t = makeT({
  "zh-Hant": {
    title: "本月待探訪", none: "本月所有長者都已完成探訪。", overdue: "逾期", by: "期限",
    contact_person: "聯絡人", last_visit: "上次探訪", never: "從未", record: "記錄探訪", refusing: "拒絕探訪",
    form: "記錄探訪", elder_id: "長者編號", method: "方式", visited_at: "探訪時間", visitor: "探訪人",
    findings: "探訪情況", refused: "長者拒絕探訪", reason: "拒訪原因", reason_needed: "請填寫拒訪原因",
    save: "儲存", cancel: "取消", saved: "已記錄 {id} 的探訪。", category: "類別",
    read_only: "您的角色只能查看待探訪名單。", more: "還有更多，請縮小範圍。",
    down: "暫時無法取得名單；連線恢復後會自動重新載入。",
  },
  "zh-Hans": {
    title: "本月待探访", none: "本月所有长者都已完成探访。", overdue: "逾期", by: "期限",
    contact_person: "联系人", last_visit: "上次探访", never: "从未", record: "记录探访", refusing: "拒绝探访",
    form: "记录探访", elder_id: "长者编号", method: "方式", visited_at: "探访时间", visitor: "探访人",
    findings: "探访情况", refused: "长者拒绝探访", reason: "拒访原因", reason_needed: "请填写拒访原因",
    save: "保存", cancel: "取消", saved: "已记录 {id} 的探访。", category: "类别",
    read_only: "您的角色只能查看待探访名单。", more: "还有更多，请缩小范围。",
    down: "暂时无法取得名单；连接恢复后会自动重新加载。",
  },
  en: {
    title: "Visits due this month", none: "Every elder has had this month's visit.", overdue: "Overdue", by: "by",
    contact_person: "Contact person", last_visit: "Last visit", never: "never", record: "Record visit", refusing: "Refuses visits",
    form: "Record a visit", elder_id: "Elder id", method: "Method", visited_at: "Visited at", visitor: "Visitor",
    findings: "Findings", refused: "The elder refused the visit", reason: "Reason for refusal", reason_needed: "Give the reason for the refusal",
    save: "Save", cancel: "Cancel", saved: "Visit of {id} recorded.", category: "Class",
    read_only: "Your role may only read the due list.", more: "There are more; narrow the list.",
    down: "The list cannot be fetched now; it reloads when the connection is back.",
  },
});

// When the API comes back the shell leaves this view as it is (a visit being typed in is not
// thrown away); the view reloads its list itself.
export const handlesReconnect = true;

const METHODS = ["in_home", "phone", "video", "online"];
const WRITERS = new Set(["admin", "town_staff"]);
const LIMIT = 200;

export async function render(root, params, ctx) {
  const writer = WRITERS.has(ctx.session?.role);
  const status = el("p", { class: "status", role: "status" });
  const list = el("div", { class: "due-list" });
  const formSlot = el("div");
  const openForm = (elderId) => {
    fill(formSlot, visitForm(elderId, ctx, async (saved) => {
      fill(formSlot);
      fill(status, t("saved", { id: saved.elder_id }));
      await load();
    }, () => fill(formSlot)));
    formSlot.querySelector("select, input")?.focus();
  };
  const load = async () => {
    const due = await ctx.api("/visits/due", { query: { limit: LIMIT } });
    fill(list, dueList(due, writer ? openForm : null));
  };
  fill(root, el("h1", {}, t("title")), writer ? null : el("p", { class: "notice" }, t("read_only")), status, formSlot, list);
  const reconnected = (event) => {
    if (!event.detail.down) load().catch(() => {});
  };
  window.addEventListener(CONNECTION_EVENT, reconnected);
  try {
    await load();
  } catch (error) {
    if (!(error instanceof ApiDown)) {
      window.removeEventListener(CONNECTION_EVENT, reconnected);
      throw error;
    }
    fill(list, el("p", { class: "notice error" }, t("down")));
  }
  if (writer && params.elder_id) openForm(params.elder_id);
  return () => window.removeEventListener(CONNECTION_EVENT, reconnected);
}

function dueList(due, openForm) {
  // The API answers most urgent first; overdue first whatever that order says.
  const items = [...due.items].sort((a, b) => Number(b.overdue) - Number(a.overdue));
  if (!items.length) return el("p", { class: "notice" }, t("none"));
  return [
    el("ul", { class: "rows due" }, items.map((item) => dueRow(item, openForm))),
    due.next_cursor ? el("p", { class: "notice" }, t("more")) : null,
  ];
}

function dueRow(item, openForm) {
  const needs = item.needs.map((n) => tag(`${label(`need_${n.kind}`)}${n.count > 1 ? ` ×${n.count}` : ""} · ${t("by")} ${n.by}`, item.overdue ? "bad" : ""));
  const last = item.last_visit_at ? `${label(item.last_visit_method ?? "")} ${dateTime(item.last_visit_at)}` : t("never");
  return el(
    "li",
    { class: item.overdue ? "overdue" : "", dataset: { elder: item.elder_id } },
    el("div", { class: "due-head" },
      item.overdue ? tag(t("overdue"), "bad strong") : null,
      " ",
      el("a", { href: `#/elder/${encodeURIComponent(item.elder_id)}` }, item.name ?? item.elder_id),
      " ",
      el("span", { class: "muted" }, [item.name ? item.elder_id : null, item.town, item.village, `${t("category")} ${item.category}`].filter(Boolean).join(" · ")),
      item.visit_consent ? null : [" ", tag(t("refusing"), "warn")],
    ),
    el("div", { class: "needs" }, needs),
    el("div", { class: "muted small" }, `${t("last_visit")}：${last}`, item.contact_person ? ` · ${t("contact_person")}：${item.contact_person}` : ""),
    openForm ? el("button", { type: "button", class: "record", onclick: () => openForm(item.elder_id) }, t("record")) : null,
  );
}

// The form's fields by the name the API gives them in a 422's loc.
const field = (name, text, control) => formField("visit", name, text, control);

// One key per form: pressing save again after a lost answer (the API away) records the
// visit once. crypto.getRandomValues works on a plain-http intranet address too.
function newKey() {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

function visitForm(elderId, ctx, onSaved, onCancel) {
  const refused = el("input", { type: "checkbox", id: "visit-refused", name: "refused" });
  const findingsLabel = el("label", { for: "visit-findings" }, t("findings"));
  const form = el(
    "form",
    { class: "card visit-form", novalidate: true, "aria-labelledby": "visit-form-title", dataset: { key: newKey() } },
    el("h2", { id: "visit-form-title" }, t("form")),
    field("elder_id", t("elder_id"), el("input", { id: "visit-elder_id", name: "elder_id", value: elderId ?? "", required: true, autocomplete: "off" })),
    field("method", t("method"), el("select", { id: "visit-method", name: "method" }, METHODS.map((m) => el("option", { value: m }, label(m))))),
    field("visited_at", t("visited_at"), el("input", { id: "visit-visited_at", name: "visited_at", type: "datetime-local", value: localInput(), max: localInput(), required: true })),
    field("visitor", t("visitor"), el("input", { id: "visit-visitor", name: "visitor", value: ctx.session?.name ?? "", required: true })),
    el("div", { class: "field check" }, refused, el("label", { for: "visit-refused" }, t("refused"))),
    el("div", { class: "field", dataset: { field: "findings" } }, findingsLabel, el("textarea", { id: "visit-findings", name: "findings", rows: "3" }), el("p", { class: "field-error", id: "visit-findings-error", "aria-live": "polite" })),
    el("p", { class: "field-error form-error", "aria-live": "polite" }),
    el("div", { class: "actions" }, el("button", { type: "submit", class: "primary" }, t("save")), el("button", { type: "button", onclick: onCancel }, t("cancel"))),
  );
  refused.addEventListener("change", () => {
    findingsLabel.textContent = refused.checked ? t("reason") : t("findings");
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await submit(form, ctx, onSaved);
  });
  return form;
}

async function submit(form, ctx, onSaved) {
  clearFieldErrors(form);
  const data = new FormData(form);
  const refused = data.get("refused") === "on";
  const findings = String(data.get("findings") ?? "").trim();
  if (refused && !findings) return showFieldError(form, "findings", t("reason_needed"));
  const local = String(data.get("visited_at") ?? "");
  const body = {
    elder_id: String(data.get("elder_id") ?? "").trim(),
    method: data.get("method"),
    visited_at: fromLocalInput(local),
    visitor: String(data.get("visitor") ?? "").trim(),
    refused,
  };
  if (findings) body.findings = findings;
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const saved = await ctx.api("/visits", { method: "POST", body, idempotencyKey: form.dataset.key });
    await onSaved(saved);
  } catch (error) {
    if (error instanceof ApiError && error.status === 422 && error.field) {
      showFieldError(form, error.field, error.detail[0]?.msg ?? error.message);
    } else {
      showFieldError(form, "", error.message);
    }
  } finally {
    button.disabled = false;
  }
}
