// UI text lookup: the chosen language's table, falling back to English.
import { en, type MessageKey } from "../i18n/en";
import { zhHans } from "../i18n/zh-Hans";
import { bn } from "../i18n/bn";
import { vi } from "../i18n/vi";
import { hi } from "../i18n/hi";

export const LANGUAGES: { code: string; name: string }[] = [
  { code: "en", name: "English" },
  { code: "zh-Hans", name: "简体中文 (Chinese, Simplified)" },
  { code: "bn", name: "বাংলা (Bengali)" },
  { code: "vi", name: "Tiếng Việt (Vietnamese)" },
  { code: "hi", name: "हिन्दी (Hindi)" },
];

/** Translations by language; each may be partial (missing keys fall back to English). */
export const tables: Record<string, Partial<Record<MessageKey, string>>> = {
  en,
  "zh-Hans": zhHans,
  bn,
  vi,
  hi,
};

export const locale = $state({ lang: "en" });

// The page's lang follows the chosen language, so screen readers use the right voice
// and the webview picks fonts (and CJK glyph forms) for that language.
if (typeof document !== "undefined") {
  $effect.root(() => {
    $effect(() => {
      document.documentElement.lang = locale.lang;
    });
  });
}

/** The text for `key` with `{name}` placeholders filled in. */
export function translate(lang: string, key: MessageKey, params: Record<string, string | number> = {}): string {
  const text = tables[lang]?.[key] ?? en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, p: string) => (p in params ? String(params[p]) : m));
}

export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  return translate(locale.lang, key, params);
}
