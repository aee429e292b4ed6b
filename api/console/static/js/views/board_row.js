// One alert's row on the board, updated in place when the alert changes (so that a resolve
// form being filled in, and the focus, survive live updates). Every string from the API
// goes in as text.

import { dateTime, el, fill, fromLocalInput, since } from "../format.js";
import { reasonList, tomorrowNoon } from "./absences.js";
import { OUTCOME_CODES, outcomeLabel, t, typeTitle } from "./board_texts.js";

// The alerts a declared absence explains (docs/api.md): the on-call who hears on the phone
// that the elder is elsewhere declares it from the row and closes the alert. Not vital
// signs: the wearable's reading came through the home's hub, she is likely at home.
const AWAY_TYPES = new Set(["inactivity", "night_wandering", "missed_checkin", "activity_drop"]);

// actions: {ack(alert), resolve(alert, outcome, notes), away(alert, reason, until)};
// canAct: the role may ack/resolve.
export function createRow(alert, { actions, canAct }) {
  const parts = {
    badge: el("span", { class: "severity" }),
    title: el("span", { class: "type" }),
    who: el("p", { class: "who-line" }),
    meta: el("p", { class: "meta" }),
    age: el("span", { class: "age" }),
    summary: el("p", { class: "summary" }),
    error: el("p", { class: "row-error error", role: "alert" }),
  };
  const row = el(
    "li",
    { class: "alert-row", dataset: { alertId: alert.id } },
    el("div", { class: "row-head" }, parts.badge, el("strong", {}, parts.title), parts.age),
    parts.who,
    parts.summary,
    parts.meta,
    parts.error,
  );
  row.parts = parts;
  if (canAct) row.append(actionsOf(row, actions, alert));
  return row;
}

// Run an action from ``button``: disabled meanwhile, its failure said in the row.
async function busy(row, button, work) {
  button.disabled = true;
  fill(row.parts.error);
  try {
    await work();
  } catch (error) {
    fill(row.parts.error, t("failed", { message: error?.message ?? String(error) }));
  } finally {
    button.disabled = false;
  }
}

// A panel shown by ``opener``, hidden again by Escape or by its own cancel button.
function toggler(opener, panel, first) {
  const toggle = (shown) => {
    panel.hidden = !shown;
    opener.setAttribute("aria-expanded", String(shown));
    if (shown) first.focus();
    else opener.focus();
  };
  opener.addEventListener("click", () => toggle(panel.hidden));
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") toggle(false);
  });
  return toggle;
}

function actionsOf(row, actions, alert) {
  const ack = el("button", { type: "button", class: "primary ack" }, t("ack"));
  const open = el("button", { type: "button", class: "resolve", "aria-expanded": "false" }, t("resolve"));
  const notes = el("textarea", { class: "notes", rows: 2, maxlength: 2000, "aria-label": t("notes"), placeholder: t("notes") });
  const outcomes = OUTCOME_CODES.map((code) =>
    el("button", { type: "button", class: "outcome", dataset: { outcome: code } }, outcomeLabel(code)),
  );
  const cancel = el("button", { type: "button", class: "cancel" }, t("cancel"));
  const panel = el(
    "fieldset",
    { class: "resolve-panel", hidden: true },
    el("legend", {}, t("resolve_heading")),
    notes,
    el("div", { class: "outcomes" }, outcomes, cancel),
  );
  const toggle = toggler(open, panel, outcomes[0]);
  ack.addEventListener("click", () => busy(row, ack, () => actions.ack(row.alert)));
  cancel.addEventListener("click", () => toggle(false));
  for (const button of outcomes) {
    button.addEventListener("click", () =>
      busy(row, button, () => actions.resolve(row.alert, button.dataset.outcome, notes.value.trim() || undefined)),
    );
  }
  row.parts.ack = ack;
  const away = AWAY_TYPES.has(alert.type) && alert.elder_id ? awayOf(row, actions) : [];
  return el("div", { class: "row-actions" }, ack, open, away[0], panel, away[1]);
}

// "Not at home": the family says the elder is elsewhere — declare the absence until when
// they are expected back, and close the alert saying so.
function awayOf(row, actions) {
  const id = `away-${row.dataset.alertId}`;
  const open = el("button", { type: "button", class: "away", "aria-expanded": "false" }, t("away"));
  const reason = el("input", { class: "away-reason", id: `${id}-reason`, list: `${id}-reasons`, maxlength: 500, value: t("away_reason_default"), autocomplete: "off" });
  const until = el("input", { class: "away-until", id: `${id}-until`, type: "datetime-local", value: tomorrowNoon() });
  const save = el("button", { type: "button", class: "primary away-save" }, t("away_save"));
  const cancel = el("button", { type: "button", class: "cancel" }, t("cancel"));
  const panel = el(
    "fieldset",
    { class: "away-panel", hidden: true },
    el("legend", {}, t("away_heading")),
    el("label", { for: reason.id }, t("away_reason")),
    reason,
    reasonList(`${id}-reasons`),
    el("label", { for: until.id }, t("away_until")),
    until,
    el("div", { class: "outcomes" }, save, cancel),
  );
  const toggle = toggler(open, panel, reason);
  cancel.addEventListener("click", () => toggle(false));
  const problem = el("p", { class: "field-error", id: `${id}-error`, "aria-live": "polite" });
  until.after(problem);
  until.setAttribute("aria-describedby", problem.id);
  save.addEventListener("click", () => {
    const back = fromLocalInput(until.value);
    const bad = !back || Date.parse(back) <= Date.now();
    fill(problem, bad ? t("away_until_past") : "");
    until.setAttribute("aria-invalid", String(bad));
    if (bad) return until.focus();
    return busy(row, save, () => actions.away(row.alert, reason.value.trim(), back));
  });
  return [open, panel];
}

// elder: {name, town, village} (village absent for viewers), null while loading or for an
// alert about no elder; town: the stream's town of the alert when known.
export function updateRow(row, alert, elder, town) {
  row.alert = alert;
  const { parts } = row;
  Object.assign(row.dataset, {
    status: alert.status,
    severity: alert.severity,
    elderId: alert.elder_id ?? "",
    deviceId: alert.device_id ?? "",
  });
  parts.badge.className = `severity ${alert.severity}`;
  fill(parts.badge, t(alert.severity));
  fill(parts.title, typeTitle(alert.type));
  fill(parts.who, whoOf(alert, elder, town));
  fill(parts.summary, alert.summary);
  const meta = [t("level", { level: alert.escalation_level })];
  if (alert.count > 1) meta.push(t("times", { count: alert.count }));
  if (alert.status === "acked" && alert.acked_by) meta.push(t("acked_by", { by: alert.acked_by }));
  if (alert.cancelled_by_elder) meta.push(t("cancelled"));
  fill(parts.meta, meta.join(" · "));
  parts.age.title = dateTime(alert.opened_at, { seconds: true });
  tickRow(row);
  if (parts.ack) parts.ack.hidden = alert.status !== "open";
}

function whoOf(alert, elder, town) {
  if (!alert.elder_id) {
    return [town ?? t("system"), alert.device_id ? ` · ${alert.device_id}` : ""].join("");
  }
  const name = elder?.name ?? alert.elder_id;
  const place = [elder?.town ?? town, elder?.village].filter(Boolean).join(" ");
  return [el("a", { href: `#/elder/${encodeURIComponent(alert.elder_id)}`, class: "elder" }, name), place ? ` · ${place}` : ""];
}

export function tickRow(row, now = Date.now()) {
  fill(row.parts.age, t("opened_ago", { age: since(row.alert.opened_at, now) }));
}
