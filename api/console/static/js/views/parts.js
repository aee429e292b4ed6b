// What the elder card, visits, fleet and report views share: labels of the API's codes in the
// three languages, and small DOM pieces. Every API string goes in as text (format.js el()).

import { el } from "../format.js";
import { makeT } from "../i18n.js";

export const label = makeT({
  "zh-Hant": {
    alone: "獨居", empty_nest: "空巢", left_behind: "留守", with_family: "與家人同住",
    incapacitated: "失能", dementia: "失智", disability_mild: "輕度殘疾", disability_severe: "重度殘疾",
    low_income: "低保", family_planning_special: "計劃生育特殊家庭",
    couple_with_dependent: "老年夫婦一方失能/失智/重殘", cares_for_dependent_child: "長期照顧失能/失智子女",
    in_home: "入戶探訪", phone: "電話", video: "視頻", online: "線上（報平安）",
    need_in_home: "需入戶探訪", need_any: "需探訪（任何方式）", need_watch: "加密探訪",
    offline: "離線", low_battery: "電量低", never_heard: "從未上線",
    motion_sensor: "人體感應", door_sensor: "門磁", bed_sensor: "床墊感應", power_meter: "電錶",
    water_meter: "水錶", env_sensor: "溫濕度", smoke_detector: "煙感", gas_detector: "燃氣",
    fall_detector: "跌倒偵測", wearable: "穿戴設備", sos_button: "平安通按鈕",
    critical: "緊急", high: "高", low: "低",
    open: "未處理", acked: "已確認", resolved: "已解決",
    room_bedroom: "臥室", room_living_room: "客廳", room_kitchen: "廚房", room_bathroom: "浴室", room_entrance: "大門", room_hall: "廳堂",
    room_none: "未指定房間", yes: "是", no: "否",
  },
  "zh-Hans": {
    alone: "独居", empty_nest: "空巢", left_behind: "留守", with_family: "与家人同住",
    incapacitated: "失能", dementia: "失智", disability_mild: "轻度残疾", disability_severe: "重度残疾",
    low_income: "低保", family_planning_special: "计划生育特殊家庭",
    couple_with_dependent: "老年夫妇一方失能/失智/重残", cares_for_dependent_child: "长期照顾失能/失智子女",
    in_home: "入户探访", phone: "电话", video: "视频", online: "线上（报平安）",
    need_in_home: "需入户探访", need_any: "需探访（任何方式）", need_watch: "加密探访",
    offline: "离线", low_battery: "电量低", never_heard: "从未上线",
    motion_sensor: "人体感应", door_sensor: "门磁", bed_sensor: "床垫感应", power_meter: "电表",
    water_meter: "水表", env_sensor: "温湿度", smoke_detector: "烟感", gas_detector: "燃气",
    fall_detector: "跌倒侦测", wearable: "穿戴设备", sos_button: "平安通按钮",
    critical: "紧急", high: "高", low: "低",
    open: "未处理", acked: "已确认", resolved: "已解决",
    room_bedroom: "卧室", room_living_room: "客厅", room_kitchen: "厨房", room_bathroom: "浴室", room_entrance: "大门", room_hall: "厅堂",
    room_none: "未指定房间", yes: "是", no: "否",
  },
  en: {
    alone: "Lives alone", empty_nest: "Empty nest", left_behind: "Left behind", with_family: "With family",
    incapacitated: "Incapacitated", dementia: "Dementia", disability_mild: "Mild disability", disability_severe: "Severe disability",
    low_income: "Low income (dibao)", family_planning_special: "Family-planning special family",
    couple_with_dependent: "Couple, one partner dependent", cares_for_dependent_child: "Cares for a dependent child",
    in_home: "In-home visit", phone: "Phone", video: "Video", online: "Online (check-in)",
    need_in_home: "In-home visit needed", need_any: "Visit needed (any method)", need_watch: "Heightened watch",
    offline: "Offline", low_battery: "Low battery", never_heard: "Never heard from",
    motion_sensor: "Motion sensor", door_sensor: "Door sensor", bed_sensor: "Bed sensor", power_meter: "Power meter",
    water_meter: "Water meter", env_sensor: "Environment sensor", smoke_detector: "Smoke detector", gas_detector: "Gas detector",
    fall_detector: "Fall detector", wearable: "Wearable", sos_button: "SOS button",
    critical: "Critical", high: "High", low: "Low",
    open: "Open", acked: "Acknowledged", resolved: "Resolved",
    room_bedroom: "Bedroom", room_living_room: "Living room", room_kitchen: "Kitchen", room_bathroom: "Bathroom", room_entrance: "Entrance", room_hall: "Hall",
    room_none: "No room", yes: "Yes", no: "No",
  },
});

// A room in words: the usual codes translated, any other name as it was registered.
export function roomName(room) {
  if (!room) return label("room_none");
  const key = `room_${room}`;
  const said = label(key);
  return said === key ? room : said;
}

// A titled section of a view: <section aria-labelledby><h2>title</h2>…children</section>.
export function section(id, title, ...children) {
  return el("section", { class: "panel", "aria-labelledby": `${id}-title`, id }, el("h2", { id: `${id}-title` }, title), ...children);
}

// A two-column list of facts: [[term, value], …]; a null/undefined value is left out.
export function facts(pairs) {
  return el(
    "dl",
    { class: "facts" },
    pairs.filter(([, value]) => value !== null && value !== undefined && value !== "").map(([term, value]) => [el("dt", {}, term), el("dd", {}, value)]),
  );
}

// A scrollable table (scrolls inside itself, never the page: no horizontal page scroll at 360 px).
export function table(caption, headings, rows, attrs = {}) {
  return el(
    "div",
    { class: "table-wrap", tabindex: "0", role: "region", "aria-label": caption },
    el(
      "table",
      attrs,
      el("caption", { class: "visually-hidden" }, caption),
      el("thead", {}, el("tr", {}, headings.map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, rows),
    ),
  );
}

// A small coloured tag: tag("offline", "warn").
export function tag(text, kind = "") {
  return el("span", { class: `tag ${kind}`.trim() }, text);
}

// A form field named as the API names it in a 422's loc: label, control (its id
// `${prefix}-${name}`), and the box its error is shown in.
export function formField(prefix, name, text, control) {
  return el(
    "div",
    { class: "field", dataset: { field: name } },
    el("label", { for: `${prefix}-${name}` }, text),
    control,
    el("p", { class: "field-error", id: `${prefix}-${name}-error`, "aria-live": "polite" }),
  );
}

// Show ``message`` at the field ``name`` (the form's own error box when no field has it).
export function showFieldError(form, name, message) {
  const box = form.querySelector(`[data-field="${name}"] .field-error`) ?? form.querySelector(".form-error");
  box.textContent = message;
  form.querySelector(`[name="${name}"]`)?.setAttribute("aria-invalid", "true");
}

export function clearFieldErrors(form) {
  for (const box of form.querySelectorAll(".field-error")) box.textContent = "";
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
}
