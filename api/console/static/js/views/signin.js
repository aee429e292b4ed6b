// Sign-in: paste a token (spaces and line breaks are ignored), or follow a sign-in link
// (#signin=CODE, made by `tanfang demo` or POST /tokens/sign-in-codes): the code is taken
// out of the address bar at once and exchanged, once, for a session.

import { ApiDown } from "../api.js";
import { el, fill } from "../format.js";
import { LANGUAGES, currentLanguage, makeT, setLanguage } from "../i18n.js";
import { SignInError, signIn, signInWithCode } from "../session.js";

const SIGN_IN_FRAGMENT = "#signin=";

const t = makeT({
  "zh-Hant": {
    heading: "探訪 值班台 — 登入",
    token: "存取權杖",
    hint: "貼上管理員發給您的權杖。權杖只保存在此分頁，關閉分頁即登出。",
    submit: "登入",
    working: "登入中…",
    empty: "請貼上權杖。",
    rejected: "權杖無效、已過期或已被撤銷。",
    link_rejected: "登入連結無效、已使用或已過期。請貼上權杖，或向管理員索取新連結。",
    expired: "您的登入已失效（權杖已過期或已被撤銷），請重新登入。",
    down: "無法連線到伺服器，請稍後再試。",
  },
  "zh-Hans": {
    heading: "探访 值班台 — 登录",
    token: "访问令牌",
    hint: "粘贴管理员发给您的令牌。令牌只保存在此标签页，关闭标签页即退出。",
    submit: "登录",
    working: "登录中…",
    empty: "请粘贴令牌。",
    rejected: "令牌无效、已过期或已被撤销。",
    link_rejected: "登录链接无效、已使用或已过期。请粘贴令牌，或向管理员索取新链接。",
    expired: "您的登录已失效（令牌已过期或已被撤销），请重新登录。",
    down: "无法连接服务器，请稍后再试。",
  },
  en: {
    heading: "Tanfang on-call console — sign in",
    token: "Access token",
    hint: "Paste the token your administrator gave you. It is kept in this tab only; closing the tab signs you out.",
    submit: "Sign in",
    working: "Signing in…",
    empty: "Paste a token.",
    rejected: "This token is invalid, expired or revoked.",
    link_rejected: "This sign-in link is invalid, used or expired. Paste a token, or ask for a new link.",
    expired: "Your session ended (the token expired or was revoked). Please sign in again.",
    down: "Cannot reach the server. Try again in a moment.",
  },
});

function messageOf(error, fromLink) {
  if (error instanceof SignInError) return t(error.reason === "empty" ? "empty" : fromLink ? "link_rejected" : "rejected");
  if (error instanceof ApiDown) return t("down");
  return error?.message ?? String(error);
}

export async function render(root, params) {
  const message = el("p", { id: "signin-message", class: "message error", role: "alert" });
  const input = el("textarea", {
    id: "token",
    name: "token",
    rows: 3,
    autocomplete: "off",
    autocapitalize: "off",
    spellcheck: "false",
    required: true,
    "aria-describedby": "token-hint signin-message",
  });
  const submit = el("button", { type: "submit", class: "primary" }, t("submit"));
  const languages = el(
    "select",
    { "aria-label": "Language", onchange: (e) => setLanguage(e.target.value) },
    LANGUAGES.map((l) => el("option", { value: l.code, selected: l.code === currentLanguage() }, l.label)),
  );
  const form = el(
    "form",
    { class: "signin card", novalidate: true },
    el("h1", {}, t("heading")),
    el("label", { for: "token" }, t("token")),
    input,
    el("p", { id: "token-hint", class: "hint" }, t("hint")),
    message,
    el("div", { class: "actions" }, submit, languages),
  );
  const attempt = async (work, fromLink) => {
    submit.disabled = true;
    fill(message, t("working"));
    message.classList.remove("error");
    try {
      await work();
    } catch (error) {
      message.classList.add("error");
      fill(message, messageOf(error, fromLink));
      submit.disabled = false;
      input.focus();
    }
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(() => signIn(input.value), false);
  });
  fill(root, form);
  if (params.reason === "expired") fill(message, t("expired"));
  const hash = window.location.hash;
  if (hash.startsWith(SIGN_IN_FRAGMENT)) {
    const code = decodeURIComponent(hash.slice(SIGN_IN_FRAGMENT.length));
    // Out of the address bar and the history before anything else.
    window.history.replaceState(null, "", `${window.location.pathname}#/board`);
    await attempt(() => signInWithCode(code), true);
  } else {
    input.focus();
  }
}
