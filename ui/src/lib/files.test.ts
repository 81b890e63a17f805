import { describe, expect, it } from "vitest";
import { domId, mediaType } from "./files";

describe("files", () => {
  it("guesses media types from names when the browser gives none", () => {
    expect(mediaType({ name: "exit.JPG", type: "" })).toBe("image/jpeg");
    expect(mediaType({ name: "x.png", type: "image/png" })).toBe("image/png");
    expect(mediaType({ name: "notes", type: "" })).toBe("application/octet-stream");
  });
  it("makes ids safe for the DOM", () => {
    expect(domId("fire-safety", null, "floor.exit_locked")).toBe("fire-safety--x--floor_exit_locked");
  });
});
