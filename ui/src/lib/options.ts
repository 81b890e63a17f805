// The option lists of the synced fields the forms edit. Each is generated from the
// Rust enum of fieldaudit-protocol's closed_sets.rs (ui/src/bindings/closed_sets.ts),
// so the UI offers exactly what the registry and core accept.
export {
  ACTION_STATUS_VALUES as ACTION_STATUSES,
  FEE_CATEGORY_VALUES as FEE_CATEGORIES,
  MIGRANT_TYPE_VALUES as MIGRANT_TYPES,
  RECRUITMENT_CHANNEL_VALUES as CHANNELS,
  PAID_WHEN_VALUES as PAID_WHEN,
  REIMBURSEMENT_STATUS_VALUES as REIMBURSEMENT,
  PAID_TO_VALUES as PAID_TO,
  SEVERITY_VALUES as SEVERITIES,
  AUDIT_TYPE_VALUES as AUDIT_TYPES,
  NOTICE_VALUES as NOTICE_KINDS,
  FOLLOW_UP_STATUS_VALUES as FOLLOW_UP_STATUSES,
  VERIFICATION_METHOD_VALUES as VERIFICATION_METHODS,
  SITE_RESPONSE_VALUES as SITE_RESPONSES,
} from "../bindings/closed_sets";
