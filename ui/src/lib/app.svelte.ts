// App-wide state: start-up info and the error banner.
import type { AppInfo, UiError } from "./api";
import { toUiError } from "./api";

export const app = $state<{ info: AppInfo | null; error: UiError | null; notice: string | null }>({
  info: null,
  error: null,
  notice: null,
});

/** Shows a failure (what happened, what to do) in the banner and moves focus to it. */
export function showError(e: unknown): void {
  app.error = toUiError(e);
  setTimeout(() => document.getElementById("error-banner")?.focus(), 0);
}

/** Shows a short confirmation in the polite live region. */
export function notify(text: string): void {
  app.notice = text;
}
