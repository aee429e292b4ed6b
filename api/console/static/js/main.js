// The console's shell: sign-in, the top bar (nav, language, who is signed in, sign out), the
// API-down banner, and the hash router that renders one view at a time into <main>.
// A view is js/views/NAME.js exporting `async render(root, params, ctx)`, which may return
// a cleanup function (called on route change); `export const handlesReconnect = true` says
// the view recovers by itself when the API comes back (otherwise the shell renders it again).

import { api, ApiDown, ApiError, CONNECTION_EVENT, isApiDown } from "./api.js";
import { el, fill } from "./format.js";
import { LANGUAGES, LANGUAGE_EVENT, currentLanguage, makeT, setLanguage } from "./i18n.js";
import { SIGNED_IN_EVENT, SIGNED_OUT_EVENT, session, signOut } from "./session.js";

const t = makeT({
  "zh-Hant": {
    title: "探訪 值班台",
    board: "警報看板",
    visits: "待探訪",
    fleet: "設備",
    report: "月報表",
    language: "語言",
    sign_out: "登出",
    loading: "載入中…",
    api_down: "無法連線到伺服器：顯示的是最後取得的資料（灰色），正在重試…",
    view_missing: "此頁面尚未提供。",
    view_failed: "無法載入此頁：{message}",
    forbidden: "您的角色無權查看此頁。",
    not_found: "找不到這筆資料。",
    role_admin: "管理員",
    role_operator: "值班員",
    role_town_staff: "鎮街工作人員",
    role_viewer: "唯讀",
  },
  "zh-Hans": {
    title: "探访 值班台",
    board: "警报看板",
    visits: "待探访",
    fleet: "设备",
    report: "月报表",
    language: "语言",
    sign_out: "退出",
    loading: "加载中…",
    api_down: "无法连接服务器：显示的是最后取得的数据（灰色），正在重试…",
    view_missing: "此页面尚未提供。",
    view_failed: "无法加载此页：{message}",
    forbidden: "您的角色无权查看此页。",
    not_found: "找不到这条数据。",
    role_admin: "管理员",
    role_operator: "值班员",
    role_town_staff: "镇街工作人员",
    role_viewer: "只读",
  },
  en: {
    title: "Tanfang on-call console",
    board: "Alerts",
    visits: "Visits due",
    fleet: "Fleet",
    report: "Monthly report",
    language: "Language",
    sign_out: "Sign out",
    loading: "Loading…",
    api_down: "Cannot reach the server: showing the last data received (greyed), retrying…",
    view_missing: "This page is not available yet.",
    view_failed: "Could not load this page: {message}",
    forbidden: "Your role may not see this page.",
    not_found: "Not found.",
    role_admin: "Administrator",
    role_operator: "On-call operator",
    role_town_staff: "Town staff",
    role_viewer: "Read-only",
  },
});

export const ROUTES = [
  { pattern: /^\/board$/, view: "board", nav: "board" },
  { pattern: /^\/elder\/([^/]+)$/, view: "elder", keys: ["id"], nav: "board" },
  { pattern: /^\/visits$/, view: "visits", nav: "visits" },
  { pattern: /^\/fleet$/, view: "fleet", nav: "fleet" },
  { pattern: /^\/fleet\/device\/([^/]+)$/, view: "fleet", keys: ["device_id"], nav: "fleet" },
  { pattern: /^\/report$/, view: "report", nav: "report" },
];
const NAV = ["board", "visits", "fleet", "report"];
const DEFAULT_ROUTE = "#/board";
const SIGN_IN_FRAGMENT = "#signin=";
// Retrying while the API is away: 1 s, doubling to at most 15 s.
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 15000;

const state = { seq: 0, cleanup: null, module: null, path: null, signedOut: null, retry: null };

// "#/elder/KP-1?month=2026-11" → {path: "/elder/KP-1", query: {month: "2026-11"}}
function parseHash(hash) {
  const [path, search = ""] = hash.replace(/^#/, "").split("?", 2);
  return { path: path || "/", query: Object.fromEntries(new URLSearchParams(search)) };
}

function match(path) {
  for (const route of ROUTES) {
    const found = route.pattern.exec(path);
    if (!found) continue;
    const params = {};
    (route.keys ?? []).forEach((key, i) => {
      params[key] = decodeURIComponent(found[i + 1]);
    });
    return { route, params };
  }
  return null;
}

function context() {
  return { api, session: session(), t, navigate: (hash) => window.location.assign(hash) };
}

async function runCleanup() {
  const cleanup = state.cleanup;
  state.cleanup = null;
  state.module = null;
  if (cleanup) {
    try {
      await cleanup();
    } catch (error) {
      console.error("view cleanup failed", error);
    }
  }
}

async function show() {
  const seq = ++state.seq;
  await runCleanup();
  const view = document.getElementById("view");
  view.classList.remove("stale");
  if (window.location.hash.startsWith(SIGN_IN_FRAGMENT) || !session()) {
    return showSignIn(view, seq);
  }
  renderTop();
  const { path, query } = parseHash(window.location.hash);
  const found = match(path);
  if (!found) {
    window.location.replace(DEFAULT_ROUTE);
    return;
  }
  const moved = state.path !== path;
  state.path = path;
  markNav(found.route.nav);
  document.title = t("title");
  fill(view, el("p", { class: "loading" }, t("loading")));
  let module;
  try {
    module = await import(`./views/${found.route.view}.js`);
  } catch (error) {
    if (seq === state.seq) fill(view, el("p", { class: "notice" }, t("view_missing")));
    return;
  }
  if (seq !== state.seq) return;
  fill(view);
  if (moved) view.focus({ preventScroll: true });
  await renderView(module, view, { ...query, ...found.params }, seq);
}

async function renderView(module, view, params, seq) {
  try {
    const cleanup = await module.render(view, params, context());
    if (seq !== state.seq) {
      if (typeof cleanup === "function") await cleanup();
      return;
    }
    state.cleanup = typeof cleanup === "function" ? cleanup : null;
    state.module = module;
  } catch (error) {
    if (seq !== state.seq) return;
    state.module = module;
    fill(view, el("p", { class: "notice error" }, explain(error)));
    if (!(error instanceof ApiDown || error instanceof ApiError)) console.error(error);
  }
}

function explain(error) {
  if (error instanceof ApiError && error.status === 403) return t("forbidden");
  if (error instanceof ApiError && error.status === 404) return t("not_found");
  if (error instanceof ApiDown) return t("api_down");
  return t("view_failed", { message: error?.message ?? String(error) });
}

async function showSignIn(view, seq) {
  document.getElementById("top").hidden = true;
  state.path = null;
  document.title = t("title");
  const { render } = await import("./views/signin.js");
  if (seq !== state.seq) return;
  fill(view);
  const reason = state.signedOut;
  state.signedOut = null;
  await render(view, { reason }, { api, session: null, t, navigate: (hash) => window.location.assign(hash) });
}

function renderTop() {
  const top = document.getElementById("top");
  const me = session();
  const who = [t(`role_${me.role}`), me.town, me.name].filter(Boolean).join(" · ");
  const select = el(
    "select",
    { id: "language", "aria-label": t("language"), onchange: (e) => setLanguage(e.target.value) },
    LANGUAGES.map((l) => el("option", { value: l.code, selected: l.code === currentLanguage() }, l.label)),
  );
  fill(
    top,
    el("a", { class: "brand", href: DEFAULT_ROUTE }, t("title")),
    el("nav", { class: "nav", "aria-label": t("title") }, NAV.map((name) => el("a", { href: `#/${name}`, dataset: { nav: name } }, t(name)))),
    el("div", { class: "who" }, el("span", { class: "me", title: who }, who), select, el("button", { type: "button", class: "signout", onclick: () => signOut() }, t("sign_out"))),
  );
  top.hidden = false;
}

function markNav(name) {
  for (const link of document.querySelectorAll("#top nav a")) {
    if (link.dataset.nav === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

// The API is away: a banner, the last state greyed, and a probe with backoff until it answers.
function onConnection(event) {
  const banner = document.getElementById("banner");
  const view = document.getElementById("view");
  if (event.detail.down) {
    fill(banner, t("api_down"));
    banner.hidden = false;
    view.classList.add("stale");
    scheduleProbe(RETRY_FIRST_MS);
    return;
  }
  banner.hidden = true;
  view.classList.remove("stale");
  clearTimeout(state.retry?.timer);
  state.retry = null;
  if (session() && !state.module?.handlesReconnect) show();
}

function scheduleProbe(delay) {
  if (state.retry) return;
  state.retry = {
    delay,
    timer: setTimeout(async () => {
      const next = Math.min(delay * 2, RETRY_MAX_MS);
      state.retry = null;
      if (!isApiDown()) return;
      try {
        await api(session() ? "/tokens/self" : "/towns", session() ? {} : { token: null });
      } catch (error) {
        if (error instanceof ApiDown) scheduleProbe(next);
      }
    }, delay),
  };
}

function start() {
  document.documentElement.lang = currentLanguage();
  window.addEventListener("hashchange", show);
  window.addEventListener(LANGUAGE_EVENT, show);
  window.addEventListener(CONNECTION_EVENT, onConnection);
  window.addEventListener(SIGNED_IN_EVENT, () => {
    if (!match(parseHash(window.location.hash).path)) window.history.replaceState(null, "", DEFAULT_ROUTE);
    show();
  });
  window.addEventListener(SIGNED_OUT_EVENT, (event) => {
    state.signedOut = event.detail?.reason ?? null;
    show();
  });
  show();
}

start();
