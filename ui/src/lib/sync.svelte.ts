// Sync state shown by the status bar and the Sync screen, running a sync with its
// progress streamed from Rust over a Tauri Channel, and when the app syncs by itself
// (AutoSync). Rust runs one sync at a time and refuses a second (kind "busy").
import { untrack } from "svelte";
import { api, Channel, type SyncProgress, type SyncReport, type SyncStatus, type UiError } from "./api";
import { app } from "./app.svelte";

export const sync = $state<{
  status: SyncStatus | null;
  /** Whether the last sync reached the server; null before the first attempt. */
  online: boolean | null;
  running: boolean;
  progress: SyncProgress | null;
  report: SyncReport | null;
  error: UiError | null;
  /** Counts the syncs that received changes: screens showing synced data reload when it moves. */
  received: number;
}>({ status: null, online: null, running: false, progress: null, report: null, error: null, received: 0 });

export async function refreshStatus(): Promise<void> {
  try {
    sync.status = await api.syncStatus();
  } catch {
    // Not set up yet: nothing to show.
  }
}

/** Runs one sync. Failures are kept in `sync.error` (shown on the Sync screen). */
export async function runSync(): Promise<void> {
  if (sync.running) return;
  sync.running = true;
  autoSync.started();
  sync.error = null;
  sync.report = null;
  sync.progress = null;
  const channel = new Channel<SyncProgress>();
  channel.onmessage = (p) => {
    sync.progress = p;
  };
  try {
    sync.report = await api.syncNow(channel);
    sync.online = true;
    if (Number(sync.report.pulled) > 0) sync.received++;
  } catch (e) {
    const err = e as UiError;
    // "busy": another sync is running (e.g. from a second window); it reports itself.
    if (err.kind !== "busy") sync.error = err;
    if (err.kind === "offline") sync.online = false;
  } finally {
    sync.running = false;
    autoSync.synced(sync.online !== false);
    await refreshStatus();
  }
}

/** When the app syncs by itself. */
export const AUTO_SYNC_TIMING = {
  /** At least this often while signed in and reachable. */
  everyMs: 5 * 60_000,
  /** This long after the last local change (edits "settle"), sooner than `everyMs`. */
  settleMs: 10_000,
  /** While the server cannot be reached, try again this often (edits do not hurry it). */
  offlineRetryMs: 60_000,
  /** After the system reports the network is back. */
  onlineMs: 2_000,
};

export type AutoSyncState = { enabled: boolean; signedIn: boolean; running: boolean; online: boolean | null };

/**
 * The automatic sync policy: one timer aimed at the earliest of the periodic sync,
 * the end of a burst of edits and the network coming back. It only starts a sync
 * when enabled, signed in and no sync is running. Every sync, automatic or not,
 * calls `started` (what was asked for so far is being done) and `synced` (the next
 * period starts; edits or a reconnection during the sync are synced right after
 * it). `run` never overlaps itself (runSync returns at once while a sync runs, and
 * Rust refuses a second one).
 */
export class AutoSync {
  private periodicAt: number | null = null;
  private settleAt: number | null = null;
  private soonAt: number | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly state: () => AutoSyncState,
    private readonly run: () => Promise<void>,
    private readonly timing = AUTO_SYNC_TIMING,
  ) {}

  /** Starts the periodic schedule (the start-up sync is `run` at once when enabled). */
  start(syncNow: boolean): void {
    this.periodicAt = Date.now() + this.timing.everyMs;
    if (syncNow && !this.state().running) this.soonAt = Date.now();
    this.arm();
  }

  /** Stops every timer. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.periodicAt = this.settleAt = this.soonAt = null;
  }

  /** A sync (automatic or not) starts: it sends everything saved so far. */
  started(): void {
    this.settleAt = this.soonAt = null;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * A sync ended: the next periodic one is a period away (a retry interval when the
   * server was unreachable); what was asked for while it ran comes first.
   */
  synced(reachable: boolean): void {
    if (this.periodicAt === null) return;
    this.periodicAt = Date.now() + (reachable ? this.timing.everyMs : this.timing.offlineRetryMs);
    if (!reachable) this.settleAt = null;
    this.arm();
  }

  /** Local changes were saved: sync once they settle (not while the server is unreachable). */
  changed(): void {
    if (this.periodicAt === null || this.state().online === false) return;
    this.settleAt = Date.now() + this.timing.settleMs;
    this.arm();
  }

  /** The system says the network is back, or automatic sync was just turned on: sync soon. */
  wentOnline(): void {
    if (this.periodicAt === null) return;
    this.soonAt = Date.now() + this.timing.onlineMs;
    this.arm();
  }

  /** When the next automatic sync is due (ms since the epoch), or null. */
  get dueAt(): number | null {
    const times = [this.periodicAt, this.settleAt, this.soonAt].filter((t): t is number => t !== null);
    return times.length ? Math.min(...times) : null;
  }

  private arm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.state().running) return; // the running sync's end calls synced(), which arms
    const due = this.dueAt;
    if (due === null) return;
    this.timer = setTimeout(() => this.fire(), Math.max(0, due - Date.now()));
  }

  private fire(): void {
    this.timer = undefined;
    const s = this.state();
    if (s.running) return; // its end calls synced(), which arms again
    if (!s.enabled || !s.signedIn) {
      this.settleAt = this.soonAt = null;
      this.synced(true);
      return;
    }
    void this.run();
  }
}

export const autoSync = new AutoSync(
  () => ({ enabled: app.info?.preferences.auto_sync ?? true, signedIn: !!sync.status?.signed_in, running: sync.running, online: sync.online }),
  runSync,
);

/**
 * Calls `reload` after every sync that received changes, for as long as the calling
 * component lives (call it while the component initialises), so a screen shows what
 * another device sent without being opened again.
 */
export function reloadOnReceived(reload: () => unknown): void {
  let seen = sync.received;
  $effect(() => {
    const n = sync.received;
    if (n === seen) return;
    seen = n;
    untrack(() => void reload());
  });
}

let timer: ReturnType<typeof setInterval> | undefined;
/** The connection state as the status bar words it. */
export function connectionKey(): "sync.online" | "sync.offline" | "sync.notConnected" | "sync.checking" | "sync.unchecked" {
  if (!sync.status?.signed_in) return "sync.notConnected";
  if (sync.online === null) return sync.running || (app.info?.preferences.auto_sync ?? true) ? "sync.checking" : "sync.unchecked";
  return sync.online ? "sync.online" : "sync.offline";
}

/**
 * Keeps the status bar current (changes waiting grow as the auditor works), tells
 * AutoSync when local changes were saved or the network came back, and starts it:
 * with automatic sync on, a sync at start-up tells whether the server is reachable.
 */
export function startStatusPolling(): void {
  if (timer) return;
  let pending: number | null = null;
  const poll = async () => {
    await refreshStatus();
    const now = sync.status?.pending_changes;
    if (now !== undefined && now !== null && pending !== null && Number(now) > pending) autoSync.changed();
    pending = now === undefined || now === null ? null : Number(now);
  };
  void poll().then(() => autoSync.start(!!sync.status?.signed_in && (app.info?.preferences.auto_sync ?? true)));
  timer = setInterval(poll, 2000);
  window.addEventListener("online", () => autoSync.wentOnline());
}

/** How far the running sync is, in percent, or null while its total is unknown. */
export function progressPercent(p: SyncProgress | null): number | null {
  if (!p || p.total === null || !Number(p.total)) return null;
  return Math.round((100 * Number(p.done)) / Math.max(1, Number(p.total)));
}


