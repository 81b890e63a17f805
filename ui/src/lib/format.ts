// Small presentation helpers: sorting tables, showing ranges, percentages and
// dates. No business rules here (findings, visibility, scores come from core).
import type { FacilitySummary } from "../bindings/FacilitySummary";

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

/** "just now", "5 min ago", "3 h ago", or the date, for "last sync". */
export function since(iso: string | null | undefined, now: Date = new Date()): string {
  if (!iso) return "never";
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const s = Math.max(0, Math.round((now.getTime() - t) / 1000));
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return new Date(t).toISOString().slice(0, 10);
}

export const SEVERITIES = ["critical", "major", "minor", "observation", "good_practice"] as const;

/** Human label of a stored code ("good_practice" → "Good practice"). */
export function label(code: string | null | undefined): string {
  if (!code) return "—";
  const s = code.replace(/_/g, " ");
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Today's date as YYYY-MM-DD in local time. */
export function today(d: Date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}
