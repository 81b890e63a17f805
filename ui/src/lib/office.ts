// Presentation helpers of the office screens (review queue, CAP tracker, dashboard,
// plan, scorecard). They only format what core computed: country names, decimal
// amounts written as core sent them (never through floating point), periods for
// the filters, and the colours the charts and the map share.
import { intlLocale } from "./format";
import { locale } from "./i18n.svelte";

/** The country's name in `lang` ("BD" → "Bangladesh", "孟加拉国"), else the code. */
export function countryName(code: string | null | undefined, lang: string = locale.lang): string {
  if (!code) return "—";
  try {
    return new Intl.DisplayNames([intlLocale(lang)], { type: "region" }).of(code.toUpperCase()) ?? code;
  } catch {
    return code;
  }
}

/** A decimal amount as core wrote it ("12345.5") with the language's digit grouping
 * and decimal mark, keeping every digit it has: no rounding through a float. */
export function decimalText(value: string | null | undefined, lang: string = locale.lang): string {
  if (value == null || value === "") return "—";
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(value.trim());
  if (!m) return value;
  const parts = new Intl.NumberFormat(intlLocale(lang)).formatToParts(11111.5);
  const group = parts.find((p) => p.type === "group")?.value ?? ",";
  const mark = parts.find((p) => p.type === "decimal")?.value ?? ".";
  const whole = m[2].replace(/\B(?=(\d{3})+(?!\d))/g, group);
  return `${m[1]}${whole}${m[3] ? mark + m[3] : ""}`;
}

/** An amount and its currency, e.g. "1,234.50 USD". */
export function money(value: string | null | undefined, currency: string, lang: string = locale.lang): string {
  return value == null ? "—" : `${decimalText(value, lang)} ${currency}`;
}

/** A whole number or a one-decimal figure in the language's digits. */
export function num(value: number | null | undefined, lang: string = locale.lang): string {
  if (value == null || Number.isNaN(value)) return "—";
  return new Intl.NumberFormat(intlLocale(lang), { maximumFractionDigits: 1 }).format(value);
}

/** A percentage core computed (one decimal). */
export function pct(value: number | null | undefined, lang: string = locale.lang): string {
  if (value == null) return "—";
  return `${num(value, lang)} %`;
}

export type PeriodPreset = "all" | "last4q" | "thisYear" | "lastYear" | "custom";

const iso = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;

/** The first and last day of a preset period as of `now` (null: no limit). The last
 * four quarters are the current quarter and the three before it. */
export function periodOf(preset: PeriodPreset, now: Date = new Date()): { from: string | null; to: string | null } {
  const y = now.getFullYear();
  switch (preset) {
    case "thisYear":
      return { from: `${y}-01-01`, to: `${y}-12-31` };
    case "lastYear":
      return { from: `${y - 1}-01-01`, to: `${y - 1}-12-31` };
    case "last4q": {
      const q = Math.floor(now.getMonth() / 3);
      const start = new Date(y, q * 3 - 9, 1);
      const end = new Date(y, q * 3 + 3, 0);
      return { from: iso(start), to: iso(end) };
    }
    default:
      return { from: null, to: null };
  }
}

/** Chart colours per severity: the same as the severity badges (app.css). */
export const SEVERITY_COLOURS: Record<string, string> = {
  critical: "#a4161a",
  major: "#b45309",
  minor: "#1d4ed8",
  observation: "#6b7280",
  good_practice: "#15803d",
  unknown: "#9ca3af",
};

/** The series colours of charts that are not about severity (accessible on white). */
export const SERIES = ["#0b5566", "#c2410c", "#6d28d9", "#15803d", "#b45309", "#1d4ed8", "#be185d", "#4b5563"];

/** A sequential shade (light to dark teal) for `value` of `max`, in five steps. */
export function supplierShade(value: number, max: number): string {
  const steps = ["#d6ecef", "#a7d3da", "#6fb3be", "#2f8796", "#0b5566"];
  if (value <= 0 || max <= 0) return "#eef1f5";
  return steps[Math.max(0, Math.min(steps.length - 1, Math.ceil((value / max) * steps.length) - 1))];
}

/** The shade of a country risk value (0–100) by the plan's bands: below 30 low,
 * 30–50 medium, 50 and over high; each band in two steps. */
export function riskShade(risk: string | null | undefined): string {
  if (risk == null) return "#eef1f5";
  const r = Number(risk);
  if (r >= 65) return "#9f1239";
  if (r >= 50) return "#e11d48";
  if (r >= 40) return "#f59e0b";
  if (r >= 30) return "#fcd34d";
  if (r >= 15) return "#bbf7d0";
  return "#86efac";
}

/** The risk legend, in the order riskShade uses. */
export const RISK_LEGEND: { from: number; to: number | null; colour: string }[] = [
  { from: 0, to: 15, colour: "#86efac" },
  { from: 15, to: 30, colour: "#bbf7d0" },
  { from: 30, to: 40, colour: "#fcd34d" },
  { from: 40, to: 50, colour: "#f59e0b" },
  { from: 50, to: 65, colour: "#e11d48" },
  { from: 65, to: null, colour: "#9f1239" },
];

/** Cycles a sort: same column flips the direction, a new one starts ascending
 * (or descending for columns whose natural order is "most first"). */
export function nextSort<C extends string>(current: { column: C; descending: boolean }, column: C, descFirst: readonly C[] = []): { column: C; descending: boolean } {
  if (current.column === column) return { column, descending: !current.descending };
  return { column, descending: descFirst.includes(column) };
}

/** `aria-sort` of a column header. */
export function ariaSort<C extends string>(current: { column: C; descending: boolean }, column: C): "ascending" | "descending" | "none" {
  if (current.column !== column) return "none";
  return current.descending ? "descending" : "ascending";
}
