// Sync state shown by the status bar and the Sync screen, and running a sync with
// its progress streamed from Rust over a Tauri Channel.
import { untrack } from "svelte";
import { api, Channel, type SyncProgress, type SyncReport, type SyncStatus, type UiError } from "./api";

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
    sync.error = err;
    if (err.kind === "offline") sync.online = false;
  } finally {
    sync.running = false;
    await refreshStatus();
  }
}

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
export function connectionKey(): "sync.online" | "sync.offline" | "sync.notConnected" | "sync.checking" {
  if (!sync.status?.signed_in) return "sync.notConnected";
  if (sync.online === null) return "sync.checking";
  return sync.online ? "sync.online" : "sync.offline";
}

/** Keeps the status bar current (changes waiting grow as the auditor works). */
export function startStatusPolling(): void {
  if (timer) return;
  void refreshStatus().then(() => {
    // A sync at start-up tells whether the server is reachable.
    if (sync.status?.signed_in) void runSync();
  });
  timer = setInterval(refreshStatus, 2000);
}

export const PHASES: Record<string, string> = {
  connecting: "Connecting",
  pushing: "Sending changes",
  uploading: "Sending photos",
  pulling: "Receiving changes",
  downloading: "Receiving photos",
};
