// The elder card (#/elder/{id}): the file in short, the emergency contacts in calling order
// with tel: links, the last 24 h of activity as rooms × time (never for viewers), device
// health, open and recent alerts, declared absences (absences.js; never for viewers),
// recent visits, and this month's compliance.

import { dateTime, el, fill, since } from "../format.js";
import { makeT } from "../i18n.js";
import { facts, label, roomName, section, tag } from "./parts.js";
import { typeTitle } from "./board_texts.js";
import { deviceRow } from "./fleet.js";
import { activityTimeline } from "./timeline.js";
import { absencesSection } from "./absences.js";

const t = makeT({
  "zh-Hant": {
    file: "檔案摘要", category: "類別", category_none: "非特困長者", reason: "分類依據", living: "居住狀況",
    conditions: "身體與家庭狀況", none: "無", phone: "電話", age: "年齡", consent: "同意探訪",
    refusal: "拒訪原因", town: "鎮街", village: "村居", address: "地址", masked: "（已遮罩）",
    contacts: "緊急聯絡人（依撥打順序）",
    no_contacts: "此長者沒有聯絡人：警報只能送到值班人員",
    activity: "最近 24 小時活動", activity_none: "最近 24 小時沒有任何活動紀錄。",
    activity_hidden: "您的角色不可查看活動紀錄。",
    devices: "設備狀況", devices_none: "此長者家中沒有登記設備。", alerts: "警報（未處理在前）", alerts_none: "沒有警報。", opened: "開啟於",
    visits: "最近探訪", visits_none: "沒有探訪紀錄。", by: "探訪人", refused: "拒訪",
    compliance: "本月探訪達標", monthly: "本月探訪", in_home: "入戶探訪", compliant: "達標",
    next_in_home: "下次入戶探訪期限", met: "已達", not_met: "未達", failed: "無法載入：{message}",
    ago: "{time}前", record_visit: "記錄探訪",
  },
  "zh-Hans": {
    file: "档案摘要", category: "类别", category_none: "非特困长者", reason: "分类依据", living: "居住状况",
    conditions: "身体与家庭状况", none: "无", phone: "电话", age: "年龄", consent: "同意探访",
    refusal: "拒访原因", town: "镇街", village: "村居", address: "地址", masked: "（已遮罩）",
    contacts: "紧急联系人（按拨打顺序）",
    no_contacts: "此长者没有联系人：警报只能送到值班人员",
    activity: "最近 24 小时活动", activity_none: "最近 24 小时没有任何活动记录。",
    activity_hidden: "您的角色不可查看活动记录。",
    devices: "设备状况", devices_none: "此长者家中没有登记设备。", alerts: "警报（未处理在前）", alerts_none: "没有警报。", opened: "开启于",
    visits: "最近探访", visits_none: "没有探访记录。", by: "探访人", refused: "拒访",
    compliance: "本月探访达标", monthly: "本月探访", in_home: "入户探访", compliant: "达标",
    next_in_home: "下次入户探访期限", met: "已达", not_met: "未达", failed: "无法加载：{message}",
    ago: "{time}前", record_visit: "记录探访",
  },
  en: {
    file: "File", category: "Class", category_none: "Not a special-difficulty elder", reason: "Why", living: "Living arrangement",
    conditions: "Conditions", none: "None", phone: "Phone", age: "Age", consent: "Consents to visits",
    refusal: "Refusal reason", town: "Town", village: "Village", address: "Address", masked: "(masked)",
    contacts: "Emergency contacts (calling order)",
    no_contacts: "This elder has no contacts: an alert can only go to the on-call staff",
    activity: "Activity, last 24 h", activity_none: "No activity recorded in the last 24 h.",
    activity_hidden: "Your role may not see activity.",
    devices: "Devices", devices_none: "No device registered in this home.", alerts: "Alerts (open first)", alerts_none: "No alerts.", opened: "Opened",
    visits: "Recent visits", visits_none: "No visits recorded.", by: "Visitor", refused: "Refused",
    compliance: "This month's visits", monthly: "Visit this month", in_home: "In-home visit", compliant: "Compliant",
    next_in_home: "Next in-home visit due", met: "Met", not_met: "Not met", failed: "Could not load: {message}",
    ago: "{time} ago", record_visit: "Record a visit",
  },
});

const CONDITIONS = ["incapacitated", "dementia", "low_income", "family_planning_special", "couple_with_dependent", "cares_for_dependent_child"];
const RECENT = 10;

export async function render(root, params, ctx) {
  const id = params.id;
  const path = `/elders/${encodeURIComponent(id)}`;
  const elder = await ctx.api(path);
  const viewer = ctx.session?.role === "viewer";
  const [contacts, activity, devices, alerts, visits, compliance] = await Promise.allSettled([
    ctx.api(`${path}/contacts`),
    viewer ? Promise.resolve(null) : ctx.api(`${path}/activity`, { query: { hours: 24, slot_minutes: 60 } }),
    ctx.api("/fleet", { query: { elder_id: id, limit: 200 } }),
    ctx.api("/alerts", { query: { elder_id: id, limit: 50 } }),
    ctx.api(`${path}/visits`, { query: { limit: RECENT } }),
    ctx.api(`${path}/compliance`),
  ]);
  fill(
    root,
    heading(elder, ctx),
    el(
      "div",
      { class: "card-grid" },
      fileSection(elder),
      contactsSection(contacts, viewer),
      activitySection(activity, viewer),
      devicesSection(devices),
      alertsSection(alerts),
      viewer ? null : absencesSection(id, ctx),
      visitsSection(visits),
      complianceSection(compliance),
    ),
  );
  document.title = `${elder.name} · ${ctx.t("title")}`;
}

function heading(elder, ctx) {
  const where = [elder.town, elder.village].filter(Boolean).join(" · ");
  const writer = ctx.session?.role === "admin" || ctx.session?.role === "town_staff";
  return el(
    "header",
    { class: "elder-head" },
    el("h1", {}, elder.name, " ", el("span", { class: "muted id" }, elder.id)),
    el("p", { class: "muted" }, where, " ", elder.category ? tag(`${t("category")} ${elder.category}`, `class-${elder.category}`) : tag(t("category_none"))),
    writer ? el("a", { class: "button-link", href: `#/visits?elder_id=${encodeURIComponent(elder.id)}` }, t("record_visit")) : null,
  );
}

function fileSection(elder) {
  const conditions = CONDITIONS.filter((c) => elder[c]).map((c) => label(c));
  if (elder.disability_level && elder.disability_level !== "none") conditions.push(label(`disability_${elder.disability_level}`));
  const redacted = !("incapacitated" in elder);
  return section(
    "file",
    t("file"),
    facts([
      [t("category"), elder.category ?? t("category_none")],
      [t("reason"), redacted ? null : elder.category_reason || null],
      [t("living"), label(elder.living_arrangement)],
      [t("conditions"), redacted ? null : conditions.length ? conditions.join("、") : t("none")],
      [t("age"), elder.age_band ?? null],
      [t("phone"), elder.phone ? phoneLink(elder.phone, elder.masked) : null],
      [t("address"), elder.address ?? null],
      [t("consent"), elder.visit_consent ? label("yes") : label("no")],
      [t("refusal"), elder.visit_consent ? null : elder.refusal_reason],
    ]),
  );
}

// A masked number is not callable: shown as text.
function phoneLink(phone, masked) {
  if (masked || phone.includes("*")) return el("span", {}, phone, " ", el("span", { class: "muted" }, t("masked")));
  return el("a", { href: `tel:${phone.replace(/[^\d+]/g, "")}` }, phone);
}

function failed(result) {
  return el("p", { class: "notice error" }, t("failed", { message: result.reason?.message ?? String(result.reason) }));
}

function contactsSection(result, viewer) {
  if (result.status === "rejected") return section("contacts", t("contacts"), failed(result));
  if (!result.value.length) {
    return section("contacts", t("contacts"), el("p", { class: "no-contacts", role: "alert" }, t("no_contacts")));
  }
  const items = result.value.map((c) =>
    el("li", {}, el("span", { class: "contact-name" }, c.name), " ", el("span", { class: "muted" }, c.relation_zh || c.relation), " ", phoneLink(c.phone, viewer)),
  );
  return section("contacts", t("contacts"), el("ol", { class: "contacts" }, items));
}

function activitySection(result, viewer) {
  if (viewer) return null;
  if (result.status === "rejected") return section("activity", t("activity"), failed(result));
  const body = result.value.rooms.length ? activityTimeline(result.value, roomName) : el("p", { class: "notice" }, t("activity_none"));
  return section("activity", t("activity"), body);
}

function devicesSection(result) {
  if (result.status === "rejected") return section("devices", t("devices"), failed(result));
  const items = result.value.items;
  if (!items.length) return section("devices", t("devices"), el("p", { class: "notice" }, t("devices_none")));
  return section("devices", t("devices"), el("ul", { class: "rows" }, items.map((d) => deviceRow(d, { home: false }))));
}

function alertsSection(result) {
  if (result.status === "rejected") return section("alerts", t("alerts"), failed(result));
  const rank = { open: 0, acked: 1, resolved: 2 };
  const items = [...result.value.items].sort((a, b) => rank[a.status] - rank[b.status]).slice(0, RECENT);
  if (!items.length) return section("alerts", t("alerts"), el("p", { class: "notice" }, t("alerts_none")));
  const rows = items.map((a) =>
    el(
      "li",
      { class: `elder-alert ${a.status}` },
      tag(label(a.severity), `sev-${a.severity}`),
      " ",
      el("strong", {}, typeTitle(a.type)),
      " ",
      tag(label(a.status), a.status === "open" ? "bad" : ""),
      el("div", { class: "muted small" }, `${t("opened")} ${dateTime(a.opened_at)} (${t("ago", { time: since(a.opened_at) })})`),
      a.summary ? el("div", { class: "small" }, a.summary) : null,
    ),
  );
  return section("alerts", t("alerts"), el("ul", { class: "rows" }, rows));
}

function visitsSection(result) {
  if (result.status === "rejected") return section("visits", t("visits"), failed(result));
  const items = result.value.items;
  if (!items.length) return section("visits", t("visits"), el("p", { class: "notice" }, t("visits_none")));
  const rows = items.map((v) =>
    el(
      "li",
      {},
      el("strong", {}, label(v.method)),
      " ",
      el("span", { class: "muted" }, dateTime(v.visited_at)),
      v.refused ? [" ", tag(t("refused"), "bad")] : null,
      v.visitor ? el("div", { class: "small" }, `${t("by")}：${v.visitor}`) : null,
      v.findings ? el("div", { class: "small" }, v.findings) : null,
    ),
  );
  return section("visits", t("visits"), el("ul", { class: "rows" }, rows));
}

function complianceSection(result) {
  if (result.status === "rejected") return section("compliance", `${t("compliance")}`, failed(result));
  const c = result.value;
  const yesNo = (ok) => (ok ? tag(t("met"), "ok") : tag(t("not_met"), "bad"));
  return section(
    "compliance",
    `${t("compliance")} ${c.month}`,
    facts([
      [t("monthly"), yesNo(c.monthly_visit_met)],
      [t("in_home"), yesNo(c.in_home_met)],
      [t("compliant"), c.compliant === null ? "—" : yesNo(c.compliant)],
      [t("next_in_home"), c.next_in_home_due ?? null],
    ]),
  );
}
