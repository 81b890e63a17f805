import { describe, expect, it } from "vitest";
import { codeLabel, intlLocale, label, missingText, missingTextIn, parseTeam, roleName, percent, SEVERITIES, since, sortFacilities, today, workersText } from "./format";
import { ACTION_STATUSES, CHANNELS, FEE_CATEGORIES, MIGRANT_TYPES, PAID_TO, PAID_WHEN, REIMBURSEMENT } from "./options";
import { LANGUAGES, locale, tables } from "./i18n.svelte";
import { en, type MessageKey } from "../i18n/en";
import type { FacilitySummary } from "../bindings/FacilitySummary";
import type { Severity } from "../bindings/Severity";
import type { SyncPhase } from "../bindings/SyncPhase";
import * as closedSets from "../bindings/closed_sets";

function fac(name: string, extra: Partial<FacilitySummary> = {}): FacilitySummary {
  return {
    id: name, name, address: null, country_code: null, sectors: null, lat: null, lng: null, workers_min: null,
    workers_max: null, os_id: null, parent_company: null, facility_type: null, product_types: null, deleted: null,
    last_audit: null, open_actions: 0, ...extra,
  } as FacilitySummary;
}

describe("sortFacilities", () => {
  const list = [
    fac("beta", { country_code: "VN", workers_min: 1001, workers_max: 5000, last_audit: "2026-01-02" }),
    fac("Alpha", { country_code: "BD", workers_min: 200, workers_max: 200 }),
    fac("gamma", { country_code: "CN", workers_max: 90, last_audit: "2025-05-01" }),
  ];
  it("sorts by name case-insensitively both ways", () => {
    expect(sortFacilities(list, "name", "asc").map((f) => f.name)).toEqual(["Alpha", "beta", "gamma"]);
    expect(sortFacilities(list, "name", "desc").map((f) => f.name)).toEqual(["gamma", "beta", "Alpha"]);
  });
  it("sorts by workers and keeps missing values last", () => {
    expect(sortFacilities(list, "workers", "desc").map((f) => f.name)).toEqual(["beta", "Alpha", "gamma"]);
    expect(sortFacilities(list, "last_audit", "asc").map((f) => f.name)).toEqual(["gamma", "beta", "Alpha"]);
    expect(sortFacilities(list, "last_audit", "desc").map((f) => f.name)).toEqual(["beta", "gamma", "Alpha"]);
  });
  it("does not change the input", () => {
    sortFacilities(list, "country", "asc");
    expect(list[0].name).toBe("beta");
  });
});

describe("helpers", () => {
  it("shows worker ranges", () => {
    expect(workersText(250, 250)).toBe("250");
    expect(workersText(1001, 5000)).toBe("1,001–5,000");
    expect(workersText(0, 1000)).toBe("≤ 1,000");
    expect(workersText(null, null)).toBe("—");
  });
  it("computes bounded percentages", () => {
    expect(percent(1, 3)).toBe(33);
    expect(percent(5, 0)).toBe(0);
    expect(percent(7, 5)).toBe(100);
  });
  it("splits a team", () => {
    expect(parseTeam(" A. Rahman, B. Chen;; ")).toEqual(["A. Rahman", "B. Chen"]);
  });
  it("says how long ago", () => {
    const now = new Date("2026-11-25T10:00:00Z");
    expect(since(null, now, "en")).toBe("never");
    expect(since(undefined, now, "en")).toBe("never");
    expect(since("2026-11-25T09:59:30Z", now, "en")).toBe("just now");
    expect(since("2026-11-25T09:30:00Z", now, "en")).toBe("30 minutes ago");
    expect(since("2026-11-25T07:00:00Z", now, "en")).toBe("3 hours ago");
    expect(since("2026-11-20T12:00:00Z", now, "en")).toBe("Nov 20, 2026");
    expect(since("2026-11-20", now, "en")).toBe("Nov 20, 2026");
    expect(since("not a date", now, "en")).toBe("not a date");
  });
  it("labels codes and formats today", () => {
    expect(label("good_practice")).toBe("Good practice");
    expect(label(null)).toBe("—");
    expect(today(new Date(2026, 0, 5))).toBe("2026-01-05");
  });
});

/** Every stored code the screens pass to label(): every generated closed set
 * (fieldaudit-protocol closed_sets.rs) but those the screens never label, the
 * worker-interview template's language option ids, the synced entity kinds and the
 * sync phases. A new closed set fails this test until its values have labels in every
 * language or it is listed as unlabelled. */
const UNLABELLED_SETS = new Set(["ROLE_VALUES", "ATTACHMENT_SUBJECT_VALUES", "FINDING_ORIGIN_VALUES", "FEE_EVIDENCE_VALUES", "INTERVIEW_STATE_VALUES"]);
const CLOSED_SET_CODES: string[] = Object.entries(closedSets).filter(([name]) => !UNLABELLED_SETS.has(name)).flatMap(([, values]) => [...values]);
const INTERVIEW_LANGUAGES = ["chinese", "bengali", "vietnamese", "hindi", "indonesian", "thai", "burmese", "nepali", "english", "other"];
const ENTITIES = [
  "facility", "audit", "repeat_instance", "answer", "finding", "corrective_action", "attachment", "fee_record", "fee",
  "interview", "conflict", "signoff", "reviewer_key",
];
const PHASES: SyncPhase[] = ["connecting", "pushing", "uploading", "pulling", "downloading"];
const SEVERITY_CODES: Severity[] = [...SEVERITIES];
const KNOWN_CODES = [
  ...new Set<string>([
    ...SEVERITY_CODES, ...CLOSED_SET_CODES,
    ...ACTION_STATUSES, ...FEE_CATEGORIES, ...MIGRANT_TYPES, ...CHANNELS, ...PAID_WHEN, ...PAID_TO, ...REIMBURSEMENT,
    ...INTERVIEW_LANGUAGES, ...ENTITIES, ...PHASES,
  ]),
];

function inLanguage<T>(lang: string, f: () => T): T {
  const saved = locale.lang;
  locale.lang = lang;
  try {
    return f();
  } finally {
    locale.lang = saved;
  }
}

describe("closed sets", () => {
  it("generates a values list for every set, and no set is empty", () => {
    const lists = Object.entries(closedSets);
    expect(lists.length).toBeGreaterThanOrEqual(19);
    for (const [name, values] of lists) expect([name, values.length > 0]).toEqual([name, true]);
  });
});

describe("label", () => {
  it("has an English label for every known code", () => {
    expect(KNOWN_CODES.filter((c) => !(`code.${c}` in en))).toEqual([]);
  });
  it("has a translation of every known code in every language", () => {
    for (const { code: lang } of LANGUAGES) {
      expect(KNOWN_CODES.filter((c) => !tables[lang]?.[`code.${c}` as MessageKey]).map((c) => `${lang}: ${c}`)).toEqual([]);
    }
  });
  it("returns the translation in the current language", () => {
    expect(inLanguage("en", () => label("major"))).toBe("Major");
    expect(inLanguage("en", () => label("semi_announced"))).toBe("Semi-announced");
    expect(inLanguage("zh-Hans", () => label("major"))).toBe("严重");
    expect(inLanguage("zh-Hans", () => label("full_follow_up"))).toBe("全面跟进审核");
    expect(inLanguage("bn", () => label("critical"))).toBe("গুরুতর");
    expect(inLanguage("bn", () => label("broker"))).toBe("দালাল");
    expect(inLanguage("vi", () => label("in_progress"))).toBe("Đang thực hiện");
    expect(inLanguage("vi", () => label("work_permit"))).toBe("Giấy phép lao động");
    expect(inLanguage("hi", () => label("unannounced"))).toBe("अघोषित");
    expect(inLanguage("hi", () => label("wage_deduction"))).toBe("वेतन से कटौती");
  });
  it("gives a different word per language for the severities", () => {
    for (const sev of SEVERITIES) {
      const words = LANGUAGES.map(({ code }) => codeLabel(code, sev));
      expect(new Set(words).size).toBe(LANGUAGES.length);
    }
  });
  it("shows an unknown code capitalised, never a raw key, in every language", () => {
    for (const { code: lang } of LANGUAGES) {
      inLanguage(lang, () => {
        expect(label("some_new_code")).toBe("Some new code");
        expect(label("constructor")).toBe("Constructor");
        expect(label("")).toBe("—");
        expect(label(undefined)).toBe("—");
      });
    }
  });
  it("falls back to English for a language without a table, and for a missing key", () => {
    expect(codeLabel("fr", "major")).toBe("Major");
    const table = tables.vi;
    const saved = table["code.bribe"];
    delete table["code.bribe"];
    try {
      expect(codeLabel("vi", "bribe")).toBe("Bribe");
    } finally {
      table["code.bribe"] = saved;
    }
  });
});

describe("since in each language", () => {
  const now = new Date("2026-11-25T10:00:00Z");
  it("says never (translated) for no date", () => {
    expect(since(null, now, "zh-Hans")).toBe("从未");
    expect(since(null, now, "bn")).toBe("কখনো হয়নি");
    expect(since(null, now, "vi")).toBe("chưa bao giờ");
    expect(since(null, now, "hi")).toBe("कभी नहीं");
    expect(inLanguage("vi", () => since(null, now))).toBe("chưa bao giờ");
  });
  it("uses the current language by default", () => {
    expect(inLanguage("zh-Hans", () => since("2026-11-25T09:30:00Z", now))).toBe("30分钟前");
    expect(inLanguage("hi", () => since("2026-11-25T09:59:30Z", now))).toBe("अभी-अभी");
  });
  it("writes relative times and dates in each language, with Latin digits", () => {
    const samples = ["2026-11-25T09:59:30Z", "2026-11-25T09:55:00Z", "2026-11-25T07:00:00Z", "2026-11-20T12:00:00Z"];
    for (const iso of samples) {
      const out = LANGUAGES.map(({ code }) => since(iso, now, code));
      expect(new Set(out).size, `${iso}: ${out.join(" | ")}`).toBe(LANGUAGES.length);
    }
    expect(since("2026-11-25T09:55:00Z", now, "bn")).toContain("5");
    expect(since("2026-11-25T09:55:00Z", now, "bn")).toMatch(/\p{Script=Bengali}/u);
    expect(since("2026-11-25T07:00:00Z", now, "vi")).toBe("3 giờ trước");
    expect(since("2026-11-20T12:00:00Z", now, "zh-Hans")).toBe("2026年11月20日");
  });
  it("falls back to English for an unknown or malformed language", () => {
    expect(intlLocale("zh-Hans")).toBe("zh-Hans-u-nu-latn");
    expect(intlLocale("not a language!")).toBe("en-u-nu-latn");
    expect(since("2026-11-25T09:30:00Z", now, "not a language!")).toBe("30 minutes ago");
    expect(since(null, now, "fr")).toBe("never");
  });
});

describe("missingTextIn", () => {
  it("names the roles that may, in the language, joined with or", () => {
    expect(missingTextIn("en", { kind: "role", needs: ["admin", "auditor"], role: "interviewer" })).toBe(
      "Your role (interviewer) cannot do this: it needs administrator or auditor rights.",
    );
    expect(missingTextIn("en", { kind: "sign_in", needs: ["admin", "reviewer"] })).toBe("Sign in with administrator or reviewer rights to do this.");
    expect(missingTextIn("en", { kind: "assignment", needs: ["lead"], team_role: "auditor" })).toBe(
      "You are on this audit's team as Auditor; this needs the team role Lead auditor.",
    );
    expect(missingTextIn("en", { kind: "assignment", needs: ["lead", "auditor"], team_role: null })).toMatch(/not on this audit's team/);
    expect(missingTextIn("en", { kind: "role", needs: [], role: "auditor" })).toBe("Only the server records this.");
  });
  it("says nothing when nothing is missing (an allowed control)", () => {
    expect(missingText(null)).toBe("");
    expect(missingText(undefined)).toBe("");
  });
  it("is translated, with the role names in the language", () => {
    const zh = missingTextIn("zh-Hans", { kind: "role", needs: ["reviewer"], role: "auditor" });
    expect(zh).toContain("审核员");
    expect(zh).toContain("审阅人");
    for (const { code: lang } of LANGUAGES) {
      for (const r of ["admin", "reviewer", "auditor", "interviewer"] as const) expect([lang, roleName(lang, r)]).not.toEqual([lang, `perm.role.${r}`]);
    }
  });
});
