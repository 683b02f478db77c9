// Every string the app shows comes from a catalog: Simplified Chinese first, English as well;
// the strings all faces share here, each face's own in its folder (so the child's phone never
// loads the parent's). The language: ?lang= (remembered), else the remembered switch, else what
// the server read from Accept-Language into <html lang>.

import en from "../catalog/en.json";
import zh from "../catalog/zh-CN.json";

const CATALOGS = { "zh-CN": { ...zh }, en: { ...en } };
const CHOSEN = "voicebox.lang";

function choose() {
  const asked = new URLSearchParams(location.search).get("lang");
  const wanted = asked && (asked.startsWith("zh") ? "zh-CN" : asked.startsWith("en") ? "en" : null);
  if (wanted) localStorage.setItem(CHOSEN, wanted);
  const lang = wanted || localStorage.getItem(CHOSEN) || document.documentElement.lang;
  return CATALOGS[lang] ? lang : "zh-CN";
}

export const lang = choose();
document.documentElement.lang = lang;

// A face's own strings, by language.
export function useCatalogs(catalogs) {
  for (const [language, strings] of Object.entries(catalogs)) Object.assign(CATALOGS[language], strings);
}

// t("key", {name: "Ana"}) fills {name}.
export function t(key, values) {
  const text = CATALOGS[lang][key] ?? CATALOGS["zh-CN"][key] ?? key;
  return values ? text.replace(/\{(\w+)\}/g, (_, name) => values[name] ?? "") : text;
}

export function switchLanguage() {
  localStorage.setItem(CHOSEN, lang === "zh-CN" ? "en" : "zh-CN");
  const url = new URL(location.href);
  url.searchParams.delete("lang");
  location.replace(url);
}

export function formatTime(iso) {
  return new Intl.DateTimeFormat(lang, { dateStyle: "short", timeStyle: "short" }).format(new Date(iso));
}
