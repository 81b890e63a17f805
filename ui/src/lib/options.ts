// The option lists of the synced fields the forms edit, as the sync registry
// (fieldaudit-protocol's registry.rs) defines them; core rejects anything else.
export const ACTION_STATUSES = ["open", "in_progress", "done", "verified", "disputed"] as const;
export const FEE_CATEGORIES = [
  "placement", "visa", "work_permit", "passport", "medical", "insurance", "skills_test", "training",
  "travel", "lodging", "equipment", "admin", "deposit_bond", "bribe", "other",
] as const;
export const MIGRANT_TYPES = ["foreign", "internal", "local", "undocumented"] as const;
export const CHANNELS = ["direct", "agency", "broker", "self_applied"] as const;
export const PAID_WHEN = ["pre_departure", "on_arrival", "wage_deduction"] as const;
export const REIMBURSEMENT = ["none", "promised", "partial", "full"] as const;
export const PAID_TO = ["agency_origin", "agency_destination", "broker", "employer", "government", "other"] as const;
