// What the office screens share while the app runs: the reporting currency chosen
// on the dashboard, which the facility scorecards convert fees to as well.
export const officePrefs = $state({ currency: "USD" });
