import { describe, expect, it } from "vitest";
import { translate, LANGUAGES, tables } from "./i18n.svelte";
import { en, type MessageKey } from "../i18n/en";

describe("translate", () => {
  it("fills placeholders", () => {
    expect(translate("en", "fac.count", { n: 3 })).toBe("3 facilities");
    expect(translate("en", "ws.progress", { answered: 2, total: 9 })).toBe("2 of 9 answered");
  });
  it("falls back to English for languages without a table", () => {
    expect(translate("fr", "nav.facilities")).toBe("Facilities");
  });
  it("keeps unknown placeholders visible rather than dropping them", () => {
    expect(translate("en", "fac.count")).toBe("{n} facilities");
  });
  it("offers the five languages of the templates", () => {
    expect(LANGUAGES.map((l) => l.code)).toEqual(["en", "zh-Hans", "bn", "vi", "hi"]);
  });
  it("returns the translation of a translated key, with placeholders filled", () => {
    expect(translate("zh-Hans", "nav.facilities")).toBe("工厂");
    expect(translate("bn", "nav.fees")).toBe("নিয়োগ ফি");
    expect(translate("vi", "cap.corrective")).toBe("Hành động khắc phục");
    expect(translate("hi", "cap.rootCause")).toBe("मूल कारण");
    expect(translate("zh-Hans", "fac.count", { n: 3 })).toBe("3 家工厂");
    expect(translate("vi", "ws.progress", { answered: 2, total: 9 })).toBe("Đã trả lời 2/9");
  });
  it("returns English for a key missing from a language's table", () => {
    const table = tables.vi;
    const saved = table["nav.sync"];
    delete table["nav.sync"];
    try {
      expect(translate("vi", "nav.sync")).toBe("Sync");
      expect(translate("vi", "nav.settings")).toBe("Cài đặt");
    } finally {
      table["nav.sync"] = saved;
    }
  });
});

const placeholders = (s: string) => new Set([...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]));
const backticks = (s: string) => [...s.matchAll(/`[^`]*`/g)].map((m) => m[0]).sort();
/** A letter of the language's own script, to catch text left in English. */
const SCRIPT: Record<string, RegExp> = {
  "zh-Hans": /\p{Script=Han}/u,
  bn: /\p{Script=Bengali}/u,
  vi: /[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]/iu,
  hi: /\p{Script=Devanagari}/u,
};
/** Keys whose text is the same in every language (product names, codes). */
const SAME_AS_ENGLISH = new Set<string>(["app.name", "facility.osId"]);

for (const { code } of LANGUAGES.filter((l) => l.code !== "en")) {
  describe(`${code} table`, () => {
    const table = tables[code];
    const entries = Object.entries(table ?? {}) as [MessageKey, string][];

    it("is registered", () => {
      expect(table).toBeDefined();
      expect(entries.length).toBeGreaterThan(0);
    });
    it("has only keys that exist in English", () => {
      expect(entries.map(([k]) => k).filter((k) => !(k in en))).toEqual([]);
    });
    it("covers at least 95% of the English keys", () => {
      const enKeys = Object.keys(en);
      const covered = enKeys.filter((k) => k in table).length;
      expect(covered / enKeys.length).toBeGreaterThanOrEqual(0.95);
    });
    it("translates every stored code and relative-time word (code.*, time.*)", () => {
      const words = Object.keys(en).filter((k) => k.startsWith("code.") || k.startsWith("time."));
      expect(words.length).toBeGreaterThan(0);
      expect(words.filter((k) => !(k in table))).toEqual([]);
    });
    it("has no empty translation", () => {
      expect(entries.filter(([, v]) => typeof v !== "string" || v.trim() === "").map(([k]) => k)).toEqual([]);
    });
    it("keeps exactly the English {placeholders}", () => {
      const bad = entries.filter(([k, v]) => k in en).filter(([k, v]) => {
        const want = placeholders(en[k]);
        const got = placeholders(v);
        return want.size !== got.size || [...want].some((p) => !got.has(p));
      });
      expect(bad.map(([k, v]) => `${k}: ${v}`)).toEqual([]);
    });
    it("has no stray braces outside placeholders", () => {
      const bad = entries.filter(([, v]) => /[{}]/.test(v.replace(/\{\w+\}/g, "")));
      expect(bad.map(([k]) => k)).toEqual([]);
    });
    it("keeps `backtick` spans identical to the English", () => {
      const bad = entries.filter(([k, v]) => k in en && JSON.stringify(backticks(v)) !== JSON.stringify(backticks(en[k])));
      expect(bad.map(([k, v]) => `${k}: ${v}`)).toEqual([]);
    });
    it("keeps the product name FieldAudit", () => {
      const bad = entries.filter(([k, v]) => k in en && en[k].includes("FieldAudit") && !v.includes("FieldAudit"));
      expect(bad.map(([k]) => k)).toEqual([]);
    });
    it("is really translated (written in the language's script)", () => {
      const untranslated = entries.filter(([k, v]) => !SAME_AS_ENGLISH.has(k) && !SCRIPT[code].test(v));
      expect(untranslated.map(([k, v]) => `${k}: ${v}`)).toEqual([]);
    });
  });
}
