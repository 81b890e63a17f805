import { describe, expect, it } from "vitest";
import { translate, LANGUAGES } from "./i18n.svelte";

describe("translate", () => {
  it("fills placeholders", () => {
    expect(translate("en", "fac.count", { n: 3 })).toBe("3 facilities");
    expect(translate("en", "ws.progress", { answered: 2, total: 9 })).toBe("2 of 9 answered");
  });
  it("falls back to English for languages without a table yet", () => {
    expect(translate("bn", "nav.facilities")).toBe("Facilities");
  });
  it("keeps unknown placeholders visible rather than dropping them", () => {
    expect(translate("en", "fac.count")).toBe("{n} facilities");
  });
  it("offers the five languages of the templates", () => {
    expect(LANGUAGES.map((l) => l.code)).toEqual(["en", "zh-Hans", "bn", "vi", "hi"]);
  });
});
