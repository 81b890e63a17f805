// Small presentation helpers: sorting tables, showing ranges, percentages, dates
// and stored codes in the chosen language. No business rules here (findings,
// visibility, scores come from core).
import type { FacilitySummary } from "../bindings/FacilitySummary";
import { en, type MessageKey } from "../i18n/en";
import type { Missing } from "../bindings/Missing";
import type { Role } from "../bindings/Role";
import { locale, tables, translate } from "./i18n.svelte";

export type FacilitySortKey = "name" | "country" | "sector" | "workers" | "last_audit";
export type SortDir = "asc" | "desc";

function facilityKey(f: FacilitySummary, key: FacilitySortKey): string | number | null {
  switch (key) {
    case "name":
      return f.name?.toLocaleLowerCase() ?? null;
    case "country":
      return f.country_code ?? null;
    case "sector":
      return f.sectors?.[0]?.toLocaleLowerCase() ?? null;
    case "workers":
      return f.workers_max ?? f.workers_min ?? null;
    case "last_audit":
      return f.last_audit ?? null;
  }
}

/** Sorts a copy of the list; empty values always go last, whatever the direction. */
export function sortFacilities(list: FacilitySummary[], key: FacilitySortKey, dir: SortDir): FacilitySummary[] {
  const sign = dir === "asc" ? 1 : -1;
  return [...list].sort((a, b) => {
    const x = facilityKey(a, key);
    const y = facilityKey(b, key);
    if (x === null && y === null) return 0;
    if (x === null) return 1;
    if (y === null) return -1;
    if (x < y) return -sign;
    if (x > y) return sign;
    return 0;
  });
}

/** "250", "1,001–5,000", "≤ 1,000" or "—". */
export function workersText(min: number | null, max: number | null): string {
  const n = (v: number) => v.toLocaleString("en-US");
  if (min !== null && max !== null) return min === max ? n(min) : min <= 0 ? `≤ ${n(max)}` : `${n(min)}–${n(max)}`;
  if (min !== null) return `≥ ${n(min)}`;
  if (max !== null) return `≤ ${n(max)}`;
  return "—";
}

/** Whole-number percentage, 0 when there is nothing to count. */
export function percent(part: number, whole: number): number {
  if (!whole || whole <= 0) return 0;
  return Math.round((100 * Math.min(part, whole)) / whole);
}

/** Splits a team field ("A. Rahman, B. Chen") into names. */
export function parseTeam(text: string): string[] {
  return text
    .split(/[,;\n]/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** The Intl locale of a UI language, with Latin digits as in the rest of the UI
 * (Bengali would otherwise get Bengali digits next to Latin ones); English for an
 * unknown or malformed language code. */
export function intlLocale(lang: string): string {
  try {
    return Intl.getCanonicalLocales(`${lang}-u-nu-latn`)[0];
  } catch {
    return "en-u-nu-latn";
  }
}

/** "just now", "5 minutes ago", "3 hours ago", or the date, for "last sync",
 * in the current UI language (or `lang`). */
export function since(iso: string | null | undefined, now: Date = new Date(), lang: string = locale.lang): string {
  if (!iso) return translate(lang, "time.never");
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const s = Math.max(0, Math.round((now.getTime() - t) / 1000));
  if (s < 60) return translate(lang, "time.justNow");
  const loc = intlLocale(lang);
  if (s < 86400) {
    const rtf = new Intl.RelativeTimeFormat(loc, { numeric: "always", style: "long" });
    return s < 3600 ? rtf.format(-Math.round(s / 60), "minute") : rtf.format(-Math.round(s / 3600), "hour");
  }
  // A bare date has no time of day: show that very day, whatever the time zone.
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(iso);
  return new Intl.DateTimeFormat(loc, { dateStyle: "medium", ...(dateOnly ? { timeZone: "UTC" } : {}) }).format(new Date(t));
}

/** Every severity, most severe first (generated from the Rust enum). */
export { SEVERITY_VALUES as SEVERITIES } from "../bindings/closed_sets";

/** Human label of a stored code in `lang` ("good_practice" → "Good practice", "良好实践"):
 * the "code.<code>" text of that language, else the English one, else the code
 * itself made readable (never a raw key). */
export function codeLabel(lang: string, code: string | null | undefined): string {
  if (!code) return "—";
  const key = `code.${code}`;
  if (key in en) {
    const text = tables[lang]?.[key as MessageKey] ?? en[key as MessageKey];
    if (text) return text;
  }
  const s = code.replace(/_/g, " ");
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Human label of a stored code in the current UI language (see `codeLabel`). */
export function label(code: string | null | undefined): string {
  return codeLabel(locale.lang, code);
}

/** Today's date as YYYY-MM-DD in local time. */
export function today(d: Date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** An organisation role's name in a language. */
export function roleName(lang: string, role: Role): string {
  return translate(lang, `perm.role.${role}` as MessageKey);
}

/** Says, in a language, what is missing for a control the role matrix refuses
 * (core's `permissions::Missing`): the roles that may, or the team role needed. */
export function missingTextIn(lang: string, m: Missing): string {
  const either = (names: string[]) => new Intl.ListFormat(lang, { type: "disjunction" }).format(names);
  switch (m.kind) {
    case "role":
      return m.needs.length
        ? translate(lang, "perm.missingRole", { role: roleName(lang, m.role), needs: either(m.needs.map((r) => roleName(lang, r))) })
        : translate(lang, "perm.serverOnly");
    case "sign_in":
      return translate(lang, "perm.missingSignIn", { needs: either(m.needs.map((r) => roleName(lang, r))) });
    case "assignment":
      return m.team_role
        ? translate(lang, "perm.missingTeamRole", { team_role: codeLabel(lang, m.team_role), needs: either(m.needs.map((r) => codeLabel(lang, r))) })
        : translate(lang, "perm.notOnTeam");
  }
}

/** [`missingTextIn`] in the current UI language ("" when nothing is missing). */
export function missingText(m: Missing | null | undefined): string {
  return m ? missingTextIn(locale.lang, m) : "";
}
