// The elder card's declared absences (hospital, staying with family): those in force or to
// come, the last few that ended, and — for admins, operators and the elder's town staff —
// the form that declares one (POST /elders/{id}/absences) and a button that withdraws one.
// While one is in force the activity alerts (no activity, night outing, not back) are not
// raised and an open one ends; emergencies still are (docs/api.md).

import { ApiError } from "../api.js";
import { dateTime, el, fill, fromLocalInput, localInput } from "../format.js";
import { makeT } from "../i18n.js";
import { clearFieldErrors, formField, section, showFieldError, tag } from "./parts.js";

const t = makeT({
  "zh-Hant": {
    title: "外出／住院申報", what: "申報期間不發出無活動、夜間外出、未返家等警報，已開啟的會自動結束；緊急求助、跌倒、煙霧、燃氣照常。",
    none: "沒有申報中的外出或住院。", in_force: "進行中", coming: "將開始", ended: "已結束", by: "申報人",
    declare: "申報外出／住院", form: "申報外出／住院", reason: "原因", from: "開始", to: "結束",
    save: "申報", cancel: "取消", withdraw: "撤銷", saved: "已申報：{reason}，至 {to}。", withdrawn: "已撤銷申報。",
    hospital: "住院", family: "住在子女家", trip: "外出探親", failed: "無法載入：{message}",
  },
  "zh-Hans": {
    title: "外出／住院申报", what: "申报期间不发出无活动、夜间外出、未返家等警报，已开启的会自动结束；紧急求助、跌倒、烟雾、燃气照常。",
    none: "没有申报中的外出或住院。", in_force: "进行中", coming: "将开始", ended: "已结束", by: "申报人",
    declare: "申报外出／住院", form: "申报外出／住院", reason: "原因", from: "开始", to: "结束",
    save: "申报", cancel: "取消", withdraw: "撤销", saved: "已申报：{reason}，至 {to}。", withdrawn: "已撤销申报。",
    hospital: "住院", family: "住在子女家", trip: "外出探亲", failed: "无法加载：{message}",
  },
  en: {
    title: "Declared absences", what: "While one is in force no inactivity, night-outing or not-back alert is raised and an open one ends; SOS, falls, smoke and gas still are.",
    none: "No absence in force or to come.", in_force: "In force", coming: "Coming", ended: "Ended", by: "Declared by",
    declare: "Declare an absence", form: "Declare an absence", reason: "Reason", from: "From", to: "To",
    save: "Declare", cancel: "Cancel", withdraw: "Withdraw", saved: "Declared: {reason}, until {to}.", withdrawn: "Absence withdrawn.",
    hospital: "In hospital", family: "Staying with a child", trip: "Visiting family", failed: "Could not load: {message}",
  },
});

const WRITERS = new Set(["admin", "operator", "town_staff"]);
const ENDED_SHOWN = 3;

// The section, loading itself; it reloads after a declaration or a withdrawal. Viewers do
// not get it (the API refuses them: when and why an elder is away is not theirs to see).
export function absencesSection(elderId, ctx) {
  const path = `/elders/${encodeURIComponent(elderId)}/absences`;
  const writer = WRITERS.has(ctx.session?.role);
  const status = el("p", { class: "status", role: "status", tabindex: "-1" });
  const list = el("div", { class: "absence-list" });
  const formSlot = el("div");
  const load = async () => {
    try {
      fill(list, rows(await ctx.api(path), writer ? withdraw : null));
    } catch (error) {
      fill(list, el("p", { class: "notice error" }, t("failed", { message: error.message })));
    }
  };
  const withdraw = async (absence, button) => {
    button.disabled = true;
    try {
      await ctx.api(`${path}/${absence.id}`, { method: "DELETE" });
      fill(status, t("withdrawn"));
    } catch (error) {
      fill(status, t("failed", { message: error.message }));
      button.disabled = false;
    }
    status.focus();
    await load();
  };
  const opener = el("button", { type: "button", class: "declare", onclick: () => openForm() }, t("declare"));
  const openForm = () => {
    opener.hidden = true;
    const close = (focus = opener) => {
      fill(formSlot);
      opener.hidden = false;
      focus.focus();
    };
    fill(formSlot, absenceForm(path, ctx, async (saved) => {
      fill(status, t("saved", { reason: saved.reason, to: dateTime(saved.to) }));
      close(status);
      await load();
    }, () => close()));
    formSlot.querySelector("input")?.focus();
  };
  load();
  return section("absences", t("title"), el("p", { class: "muted small" }, t("what")), status, list, writer ? [opener, formSlot] : null);
}

function rows(absences, withdraw) {
  const now = Date.now();
  const current = absences.filter((a) => Date.parse(a.to) > now).reverse(); // soonest first
  const ended = absences.filter((a) => Date.parse(a.to) <= now).slice(0, ENDED_SHOWN);
  if (!current.length && !ended.length) return el("p", { class: "notice" }, t("none"));
  const row = (a) => {
    const state = Date.parse(a.to) <= now ? "ended" : Date.parse(a.from) <= now ? "in_force" : "coming";
    return el(
      "li",
      { class: `absence ${state}`, dataset: { absence: String(a.id) } },
      tag(t(state), state === "in_force" ? "warn strong" : ""),
      " ",
      el("strong", {}, a.reason),
      el("div", { class: "small" }, `${dateTime(a.from)} – ${dateTime(a.to)}`),
      a.created_by ? el("div", { class: "muted small" }, `${t("by")}：${a.created_by}`) : null,
      withdraw && state !== "ended" ? el("button", { type: "button", class: "withdraw", onclick: (event) => withdraw(a, event.currentTarget) }, t("withdraw")) : null,
    );
  };
  return [
    current.length ? el("ul", { class: "rows" }, current.map(row)) : el("p", { class: "notice" }, t("none")),
    ended.length ? el("ul", { class: "rows ended" }, ended.map(row)) : null,
  ];
}

// Tomorrow at noon, Asia/Shanghai (a datetime-local value): the usual end of a night at a
// child's home.
export function tomorrowNoon() {
  return `${localInput(new Date(Date.now() + 86_400_000)).slice(0, 10)}T12:00`;
}

// The usual reasons, as a <datalist id=…> for a reason input.
export function reasonList(id) {
  return el("datalist", { id }, ["hospital", "family", "trip"].map((key) => el("option", { value: t(key) })));
}

function absenceForm(path, ctx, onSaved, onCancel) {
  const field = (name, text, control) => formField("absence", name, text, control);
  const form = el(
    "form",
    { class: "card visit-form absence-form", novalidate: true, "aria-labelledby": "absence-form-title" },
    el("h2", { id: "absence-form-title" }, t("form")),
    field("reason", t("reason"), el("input", { id: "absence-reason", name: "reason", list: "absence-reasons", required: true, maxlength: "500", autocomplete: "off" })),
    reasonList("absence-reasons"),
    field("from", t("from"), el("input", { id: "absence-from", name: "from", type: "datetime-local", value: localInput(), required: true })),
    field("to", t("to"), el("input", { id: "absence-to", name: "to", type: "datetime-local", value: tomorrowNoon(), required: true })),
    el("p", { class: "field-error form-error", "aria-live": "polite" }),
    el("div", { class: "actions" }, el("button", { type: "submit", class: "primary" }, t("save")), el("button", { type: "button", onclick: onCancel }, t("cancel"))),
  );
  form.addEventListener("keydown", (event) => {
    if (event.key === "Escape") onCancel();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    const data = new FormData(form);
    const body = {
      reason: String(data.get("reason") ?? "").trim(),
      from: fromLocalInput(String(data.get("from") ?? "")),
      to: fromLocalInput(String(data.get("to") ?? "")),
    };
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      await onSaved(await ctx.api(path, { method: "POST", body }));
    } catch (error) {
      if (error instanceof ApiError && error.status === 422) {
        showFieldError(form, error.field ?? "", error.detail?.[0]?.msg ?? error.message);
      } else {
        showFieldError(form, "", error.message);
      }
    } finally {
      button.disabled = false;
    }
  });
  return form;
}
