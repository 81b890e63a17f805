import { describe, expect, it } from "vitest";
import { ariaSort, countryName, decimalText, money, nextSort, periodOf, riskShade, supplierShade } from "./office";

describe("decimalText", () => {
  it("groups digits and keeps every decimal core sent, without a float", () => {
    expect(decimalText("1234567.50", "en")).toBe("1,234,567.50");
    expect(decimalText("0.1", "en")).toBe("0.1");
    expect(decimalText("-1000", "en")).toBe("-1,000");
    expect(decimalText("12345678901234567.89", "en")).toBe("12,345,678,901,234,567.89");
  });
  it("uses the language's decimal mark", () => {
    expect(decimalText("1234.5", "vi")).toBe("1.234,5");
  });
  it("shows a dash for nothing and leaves text that is not a number alone", () => {
    expect(decimalText(null, "en")).toBe("—");
    expect(decimalText("n/a", "en")).toBe("n/a");
    expect(money("12.5", "USD", "en")).toBe("12.5 USD");
  });
});

describe("countryName", () => {
  it("names a country in the UI language, or keeps the code", () => {
    expect(countryName("BD", "en")).toBe("Bangladesh");
    expect(countryName(null, "en")).toBe("—");
  });
});

describe("periodOf", () => {
  const now = new Date(2026, 11, 2); // 2 December 2026
  it("gives the last four quarters as the current one and the three before", () => {
    expect(periodOf("last4q", now)).toEqual({ from: "2026-01-01", to: "2026-12-31" });
    expect(periodOf("last4q", new Date(2026, 4, 15))).toEqual({ from: "2025-07-01", to: "2026-06-30" });
  });
  it("gives calendar years and no limit for all time", () => {
    expect(periodOf("thisYear", now)).toEqual({ from: "2026-01-01", to: "2026-12-31" });
    expect(periodOf("lastYear", now)).toEqual({ from: "2025-01-01", to: "2025-12-31" });
    expect(periodOf("all", now)).toEqual({ from: null, to: null });
  });
});

describe("shades", () => {
  it("darkens with more suppliers and leaves countries without any grey", () => {
    expect(supplierShade(0, 10)).toBe("#eef1f5");
    expect(supplierShade(1, 10)).toBe("#d6ecef");
    expect(supplierShade(10, 10)).toBe("#0b5566");
  });
  it("follows the plan's risk bands", () => {
    expect(riskShade(null)).toBe("#eef1f5");
    expect(riskShade("29.9")).toBe("#bbf7d0");
    expect(riskShade("30.0")).toBe("#fcd34d");
    expect(riskShade("50.0")).toBe("#e11d48");
  });
});

describe("sorting", () => {
  it("flips the direction on the same column and starts a new one ascending", () => {
    const s = { column: "due_date", descending: false };
    expect(nextSort(s, "due_date")).toEqual({ column: "due_date", descending: true });
    expect(nextSort(s, "severity")).toEqual({ column: "severity", descending: false });
    expect(nextSort(s, "days_overdue", ["days_overdue"])).toEqual({ column: "days_overdue", descending: true });
    expect(ariaSort(s, "due_date")).toBe("ascending");
    expect(ariaSort(s, "severity")).toBe("none");
  });
});
