// The monthly report (#/report): month and town pickers, the statistics table
// (GET /reports/monthly), and CSV / XLSX downloads fetched with the bearer token and saved
// from a Blob (the token never goes in a URL).

import { currentMonth, el, fill } from "../format.js";
import { makeT } from "../i18n.js";
import { table } from "./parts.js";

const t = makeT({
  "zh-Hant": {
    title: "月報表", month: "月份", town: "鎮街", all: "全部鎮街", show: "顯示", csv: "下載 CSV", xlsx: "下載 Excel",
    as_of: "統計至 {date}", total: "合計", downloading: "下載中…", failed: "下載失敗：{message}",
  },
  "zh-Hans": {
    title: "月报表", month: "月份", town: "镇街", all: "全部镇街", show: "显示", csv: "下载 CSV", xlsx: "下载 Excel",
    as_of: "统计至 {date}", total: "合计", downloading: "下载中…", failed: "下载失败：{message}",
  },
  en: {
    title: "Monthly report", month: "Month", town: "Town", all: "All towns", show: "Show", csv: "Download CSV", xlsx: "Download Excel",
    as_of: "As of {date}", total: "Total", downloading: "Downloading…", failed: "Download failed: {message}",
  },
});

export async function render(root, params, ctx) {
  const staffTown = ctx.session?.role === "town_staff" ? ctx.session.town : null;
  const towns = staffTown ? [{ name: staffTown }] : (await ctx.api("/towns", { query: { limit: 200 } })).items;
  const month = el("input", { id: "report-month", type: "month", value: params.month ?? currentMonth(), required: true });
  const town = el(
    "select",
    { id: "report-town", disabled: Boolean(staffTown) },
    staffTown ? null : el("option", { value: "" }, t("all")),
    towns.map((x) => el("option", { value: x.name, selected: x.name === (params.town ?? staffTown) }, x.name)),
  );
  const status = el("p", { class: "status", role: "status" });
  const output = el("div", { class: "report-table" });
  const query = () => ({ month: month.value, town: staffTown ? null : town.value || null });
  const show = async () => fill(output, reportTable(await ctx.api("/reports/monthly", { query: query() })));
  const download = (format) => async () => {
    fill(status, t("downloading"));
    try {
      const blob = await ctx.api("/reports/monthly", { query: { ...query(), format }, as: "blob" });
      save(blob, `tanfang-monthly-${month.value}${query().town ? `-${query().town}` : ""}.${format}`);
      fill(status);
    } catch (error) {
      fill(status, el("span", { class: "error" }, t("failed", { message: error.message })));
    }
  };
  const form = el(
    "form",
    { class: "pickers", onsubmit: (e) => { e.preventDefault(); show(); } },
    el("label", { for: "report-month" }, t("month")), month,
    el("label", { for: "report-town" }, t("town")), town,
    el("button", { type: "submit", class: "primary" }, t("show")),
    el("button", { type: "button", class: "download", dataset: { format: "csv" }, onclick: download("csv") }, t("csv")),
    el("button", { type: "button", class: "download", dataset: { format: "xlsx" }, onclick: download("xlsx") }, t("xlsx")),
  );
  fill(root, el("h1", {}, t("title")), form, status, output);
  await show();
}

function save(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = el("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  // Revoked on the next turn: the click has started the download by then.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

function cell(key, value) {
  if (key.endsWith("_rate")) return value === null || value === undefined ? "—" : `${(value * 100).toFixed(1)}%`;
  if (value === null || value === undefined) return "—";
  return typeof value === "object" ? JSON.stringify(value) : value;
}

function reportTable(report) {
  const keys = report.columns.map((c) => c.key);
  const row = (r, total) => el("tr", { class: total ? "total" : "" }, keys.map((k, i) => el(i ? "td" : "th", i ? {} : { scope: "row" }, cell(k, r[k]))));
  return [
    el("h2", {}, `${report.title} ${report.month}`, el("span", { class: "muted small" }, ` ${t("as_of", { date: report.as_of })}`)),
    table(report.title, report.columns.map((c) => c.title), [...report.towns.map((r) => row(r, false)), row(report.total, true)], { class: "report" }),
  ];
}
