import { describe, expect, it } from "vitest";
import { connectionKey, sync } from "./sync.svelte";

describe("connectionKey", () => {
  it("says not connected until signed in, then checking, then online or offline", () => {
    sync.status = null;
    sync.online = null;
    expect(connectionKey()).toBe("sync.notConnected");
    sync.status = { signed_in: true, server_url: "http://x", organisation: "o", user: "u", pending_changes: 3, last_sync_at: null, open_conflicts: 0, quarantined: 0 } as never;
    expect(connectionKey()).toBe("sync.checking");
    sync.online = false;
    expect(connectionKey()).toBe("sync.offline");
    sync.online = true;
    expect(connectionKey()).toBe("sync.online");
  });
});
