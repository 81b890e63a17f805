// Which screen is shown. No URL routing: the app is one window, and the back
// button is the in-app navigation.
export type Route =
  | { name: "my-audits" }
  | { name: "facilities" }
  | { name: "facility"; facilityId: string }
  | { name: "new-audit"; facilityId: string | null }
  | { name: "workspace"; auditId: string }
  | { name: "findings"; auditId: string; focus?: "review" }
  | { name: "fees"; auditId: string }
  | { name: "interviews"; auditId: string }
  | { name: "interview"; auditId: string; interviewId: string }
  | { name: "review"; auditId: string }
  | { name: "report"; auditId: string }
  | { name: "sync" }
  | { name: "conflicts" }
  | { name: "quarantine" }
  | { name: "settings" }
  | { name: "queue" }
  | { name: "caps"; country?: string; overdue?: boolean }
  | { name: "dashboard" }
  | { name: "plan" }
  | { name: "supplier" }
  | { name: "scorecard"; facilityId: string };

export const nav = $state<{ route: Route; history: Route[] }>({ route: { name: "facilities" }, history: [] });

/** Shows a screen and moves focus to its heading (for keyboard and screen-reader users). */
export function go(route: Route): void {
  nav.history.push(nav.route);
  nav.route = route;
  queueMicrotask(() => setTimeout(() => document.querySelector<HTMLElement>("main h1")?.focus(), 0));
}

export function back(): void {
  const prev = nav.history.pop();
  if (prev) nav.route = prev;
}

/** The audit the current screen is about, if any (for the audit tabs in the sidebar). */
export function currentAudit(r: Route): string | null {
  return "auditId" in r ? r.auditId : null;
}
