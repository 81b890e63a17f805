import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AutoSync, connectionKey, progressPercent, sync, type AutoSyncState } from "./sync.svelte";
import { app } from "./app.svelte";

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

  it("does not claim to be checking when automatic sync is off and nothing ran yet", () => {
    sync.status = { signed_in: true } as never;
    sync.online = null;
    sync.running = false;
    app.info = { preferences: { language: "en", set_up: true, auto_sync: false } } as never;
    expect(connectionKey()).toBe("sync.unchecked");
    sync.running = true;
    expect(connectionKey()).toBe("sync.checking");
    sync.running = false;
    app.info = null;
  });
});

describe("progressPercent", () => {
  it("is null until the total is known, then a whole percentage", () => {
    expect(progressPercent(null)).toBeNull();
    expect(progressPercent({ phase: "pulling", done: 3, total: null, bytes: 0 } as never)).toBeNull();
    expect(progressPercent({ phase: "pulling", done: 1, total: 3, bytes: 0 } as never)).toBe(33);
  });
});

const TIMING = { everyMs: 300_000, settleMs: 10_000, offlineRetryMs: 60_000, onlineMs: 2_000 };

/** An AutoSync whose syncs take `syncMs` and end reachable unless `state.online` is false. */
function rig(syncMs = 1_000) {
  const state: AutoSyncState = { enabled: true, signedIn: true, running: false, online: true };
  const started: number[] = [];
  let maxAtOnce = 0;
  let atOnce = 0;
  const auto: AutoSync = new AutoSync(
    () => state,
    async () => {
      // Like runSync: returns at once while a sync runs.
      if (state.running) return;
      state.running = true;
      auto.started();
      atOnce++;
      maxAtOnce = Math.max(maxAtOnce, atOnce);
      started.push(Date.now());
      await new Promise((r) => setTimeout(r, syncMs));
      atOnce--;
      state.running = false;
      auto.synced(state.online !== false);
    },
    TIMING,
  );
  return { auto, state, started, maxAtOnce: () => maxAtOnce };
}

describe("AutoSync", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("syncs at start-up, then every period", async () => {
    const { auto, started } = rig();
    auto.start(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(started).toEqual([0]);
    await vi.advanceTimersByTimeAsync(TIMING.everyMs);
    expect(started).toEqual([0]);
    await vi.advanceTimersByTimeAsync(1_000);
    // The period counts from the end of the previous sync (it took 1 s).
    expect(started).toEqual([0, 1_000 + TIMING.everyMs]);
    auto.stop();
  });

  it("syncs once edits settle, not on every edit, and never later than the period", async () => {
    const { auto, started } = rig();
    auto.start(false);
    for (let i = 0; i < 5; i++) {
      await vi.advanceTimersByTimeAsync(4_000);
      auto.changed();
    }
    expect(started).toEqual([]);
    await vi.advanceTimersByTimeAsync(TIMING.settleMs);
    expect(started).toEqual([20_000 + TIMING.settleMs]);

    // Someone editing without pause is still synced once a period (counted from the
    // end of the previous sync, which takes 1 s here).
    const from = Date.now();
    const stopAt = from + 2 * (TIMING.everyMs + 1_000) + 3_000;
    while (Date.now() < stopAt) {
      await vi.advanceTimersByTimeAsync(3_000);
      auto.changed();
    }
    expect(started.filter((t) => t > from).length).toBeGreaterThanOrEqual(2);
    auto.stop();
  });

  it("never runs two syncs at once: what is asked for during a sync runs right after it", async () => {
    const { auto, started, maxAtOnce } = rig(30_000);
    auto.start(true);
    await vi.advanceTimersByTimeAsync(0);
    auto.changed();
    auto.wentOnline();
    await vi.advanceTimersByTimeAsync(TIMING.settleMs);
    expect(started).toEqual([0]);
    await vi.advanceTimersByTimeAsync(20_001);
    // Right after the first one ended (a timer of 0 ms fires after 1 ms here).
    expect(started).toEqual([0, 30_001]);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(started).toEqual([0, 30_001]);
    expect(maxAtOnce()).toBe(1);
    auto.stop();
  });

  it("a sync started by hand counts: edits made before it do not cause another", async () => {
    const { auto, state, started } = rig();
    auto.start(false);
    auto.changed();
    await vi.advanceTimersByTimeAsync(3_000);
    // The Sync button (runSync) starts a sync.
    state.running = true;
    auto.started();
    await vi.advanceTimersByTimeAsync(1_000);
    state.running = false;
    auto.synced(true);
    await vi.advanceTimersByTimeAsync(TIMING.settleMs * 2);
    expect(started).toEqual([]);
    auto.stop();
  });

  it("while the server is unreachable, retries each minute and does not hurry on edits; the network coming back syncs soon", async () => {
    const { auto, state, started } = rig();
    state.online = false;
    auto.start(true);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(started).toEqual([0]);
    auto.changed();
    await vi.advanceTimersByTimeAsync(TIMING.settleMs);
    expect(started).toEqual([0]);
    await vi.advanceTimersByTimeAsync(TIMING.offlineRetryMs - TIMING.settleMs);
    expect(started).toEqual([0, 1_000 + TIMING.offlineRetryMs]);
    await vi.advanceTimersByTimeAsync(1_000);
    auto.wentOnline();
    await vi.advanceTimersByTimeAsync(TIMING.onlineMs);
    expect(started.length).toBe(3);
    expect(started[2]).toBe(Date.now());
    auto.stop();
  });

  it("does nothing while turned off or signed out, and resumes when turned back on", async () => {
    const { auto, state, started } = rig();
    state.enabled = false;
    auto.start(false);
    auto.changed();
    await vi.advanceTimersByTimeAsync(3 * TIMING.everyMs);
    expect(started).toEqual([]);
    state.enabled = true;
    state.signedIn = false;
    auto.wentOnline();
    await vi.advanceTimersByTimeAsync(TIMING.everyMs);
    expect(started).toEqual([]);
    state.signedIn = true;
    auto.wentOnline();
    await vi.advanceTimersByTimeAsync(TIMING.onlineMs);
    expect(started).toEqual([Date.now()]);
    auto.stop();
  });
});
