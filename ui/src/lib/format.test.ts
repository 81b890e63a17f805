import { describe, expect, it } from "vitest";
import { label, parseTeam, percent, since, sortFacilities, today, workersText } from "./format";
import type { FacilitySummary } from "../bindings/FacilitySummary";

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
    expect(since(null, now)).toBe("never");
    expect(since("2026-11-25T09:59:30Z", now)).toBe("just now");
    expect(since("2026-11-25T09:30:00Z", now)).toBe("30 min ago");
    expect(since("2026-11-20T09:30:00Z", now)).toBe("2026-11-20");
  });
  it("labels codes and formats today", () => {
    expect(label("good_practice")).toBe("Good practice");
    expect(label(null)).toBe("—");
    expect(today(new Date(2026, 0, 5))).toBe("2026-01-05");
  });
});
