// Generated from crates/protocol/src/closed_sets.rs by src-tauri/src/bindings.rs. Do not edit.
// Every value of each closed set, in the order option lists show them.
import type { AuditType } from "./AuditType";
import type { Notice } from "./Notice";
import type { AuditStatus } from "./AuditStatus";
import type { Severity } from "./Severity";
import type { FindingOrigin } from "./FindingOrigin";
import type { FindingStatus } from "./FindingStatus";
import type { ActionStatus } from "./ActionStatus";
import type { AttachmentSubject } from "./AttachmentSubject";
import type { FollowUpStatus } from "./FollowUpStatus";
import type { VerificationMethod } from "./VerificationMethod";
import type { SiteResponse } from "./SiteResponse";
import type { SupplierResponseState } from "./SupplierResponseState";
import type { MigrantType } from "./MigrantType";
import type { RecruitmentChannel } from "./RecruitmentChannel";
import type { ReimbursementStatus } from "./ReimbursementStatus";
import type { FeeCategory } from "./FeeCategory";
import type { PaidWhen } from "./PaidWhen";
import type { PaidTo } from "./PaidTo";
import type { FeeEvidence } from "./FeeEvidence";
import type { InterviewFormat } from "./InterviewFormat";
import type { InterviewState } from "./InterviewState";
import type { ConflictStatus } from "./ConflictStatus";
import type { Role } from "./Role";
import type { TeamRole } from "./TeamRole";
import type { WgiIndicator } from "./WgiIndicator";

export const AUDIT_TYPE_VALUES: readonly AuditType[] = ["initial", "periodic", "full_follow_up", "partial_follow_up"] as const;

export const NOTICE_VALUES: readonly Notice[] = ["announced", "semi_announced", "unannounced"] as const;

export const AUDIT_STATUS_VALUES: readonly AuditStatus[] = ["draft", "submitted", "approved", "returned"] as const;

export const SEVERITY_VALUES: readonly Severity[] = ["critical", "major", "minor", "observation", "good_practice"] as const;

export const FINDING_ORIGIN_VALUES: readonly FindingOrigin[] = ["item", "manual"] as const;

export const FINDING_STATUS_VALUES: readonly FindingStatus[] = ["open", "closed"] as const;

export const ACTION_STATUS_VALUES: readonly ActionStatus[] = ["open", "in_progress", "done", "verified", "disputed"] as const;

export const ATTACHMENT_SUBJECT_VALUES: readonly AttachmentSubject[] = ["audit", "answer", "finding", "corrective_action", "fee_record", "verification", "supplier_response"] as const;

export const FOLLOW_UP_STATUS_VALUES: readonly FollowUpStatus[] = ["closed", "progress_made", "still_open"] as const;

export const VERIFICATION_METHOD_VALUES: readonly VerificationMethod[] = ["on_site", "desktop_review"] as const;

export const SITE_RESPONSE_VALUES: readonly SiteResponse[] = ["agreed", "disputed"] as const;

export const SUPPLIER_RESPONSE_STATE_VALUES: readonly SupplierResponseState[] = ["pending", "accepted", "rejected"] as const;

export const MIGRANT_TYPE_VALUES: readonly MigrantType[] = ["foreign", "internal", "local", "undocumented"] as const;

export const RECRUITMENT_CHANNEL_VALUES: readonly RecruitmentChannel[] = ["direct", "agency", "broker", "self_applied"] as const;

export const REIMBURSEMENT_STATUS_VALUES: readonly ReimbursementStatus[] = ["none", "promised", "partial", "full"] as const;

export const FEE_CATEGORY_VALUES: readonly FeeCategory[] = ["placement", "visa", "work_permit", "passport", "medical", "insurance", "skills_test", "training", "travel", "lodging", "equipment", "admin", "deposit_bond", "bribe", "other"] as const;

export const PAID_WHEN_VALUES: readonly PaidWhen[] = ["pre_departure", "on_arrival", "wage_deduction"] as const;

export const PAID_TO_VALUES: readonly PaidTo[] = ["agency_origin", "agency_destination", "broker", "employer", "government", "other"] as const;

export const FEE_EVIDENCE_VALUES: readonly FeeEvidence[] = ["receipt", "interview", "none"] as const;

export const INTERVIEW_FORMAT_VALUES: readonly InterviewFormat[] = ["individual", "group"] as const;

export const INTERVIEW_STATE_VALUES: readonly InterviewState[] = ["draft", "sealed", "incomplete"] as const;

export const CONFLICT_STATUS_VALUES: readonly ConflictStatus[] = ["open", "kept", "replaced"] as const;

export const ROLE_VALUES: readonly Role[] = ["admin", "reviewer", "auditor", "interviewer"] as const;

export const TEAM_ROLE_VALUES: readonly TeamRole[] = ["lead", "auditor", "interviewer"] as const;

export const WGI_INDICATOR_VALUES: readonly WgiIndicator[] = ["va", "pv", "ge", "rq", "rl", "cc"] as const;
