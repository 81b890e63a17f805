import { describe, expect, it } from "vitest";
import { toUiError } from "./api";

describe("toUiError", () => {
  it("keeps a backend error as it is", () => {
    expect(toUiError({ message: "A facility needs a name", hint: "Correct it", kind: "invalid" })).toEqual({
      message: "A facility needs a name", hint: "Correct it", kind: "invalid",
    });
  });
  it("turns a bare string (e.g. an argument Tauri could not decode) into a message with a hint", () => {
    const e = toUiError("invalid args `auditId` for command `audit_workspace`");
    expect(e.message).toContain("auditId");
    expect(e.hint.length).toBeGreaterThan(10);
    expect(e.kind).toBe("other");
  });
  it("shortens very long texts so no stack fills the screen", () => {
    expect(toUiError(new Error("x".repeat(1000))).message.length).toBeLessThan(310);
  });
});
