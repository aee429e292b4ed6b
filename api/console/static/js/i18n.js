// Languages: Traditional Chinese first, then Simplified Chinese and English. Each module keeps
// its own strings and makes its own t() with makeT(); the language is one choice for all.

export const LANGUAGES = [
  { code: "zh-Hant", label: "繁體" },
  { code: "zh-Hans", label: "简体" },
  { code: "en", label: "English" },
];
export const DEFAULT_LANGUAGE = "zh-Hant";
const STORAGE_KEY = "tanfang.language";
export const LANGUAGE_EVENT = "tanfang:language";

export function currentLanguage() {
  let stored = null;
  try {
    stored = localStorage.getItem(STORAGE_KEY);
  } catch {
    // Storage refused (privacy mode): the default.
  }
  return LANGUAGES.some((l) => l.code === stored) ? stored : DEFAULT_LANGUAGE;
}

export function setLanguage(code) {
  if (!LANGUAGES.some((l) => l.code === code)) return;
  try {
    localStorage.setItem(STORAGE_KEY, code);
  } catch {
    // Not kept across reloads; still switched for this page.
  }
  document.documentElement.lang = code;
  window.dispatchEvent(new CustomEvent(LANGUAGE_EVENT, { detail: { language: code } }));
}

// texts = {"zh-Hant": {key: "…{name}…"}, "zh-Hans": {...}, "en": {...}}.
// t(key, vars): the current language's text, else the zh-Hant one, else the key itself.
export function makeT(texts) {
  return function t(key, vars = {}) {
    const lang = currentLanguage();
    const text = texts[lang]?.[key] ?? texts[DEFAULT_LANGUAGE]?.[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (whole, name) =>
      Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : whole,
    );
  };
}
