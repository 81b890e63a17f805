// The one typed interface between the UI and the Rust backend. Every command the
// UI calls is here, typed with the bindings generated from the Rust types
// (src/bindings, by ts-rs). Failures are always a UiError { message, hint }.
import { invoke, Channel } from "@tauri-apps/api/core";
import type { AppInfo } from "../bindings/AppInfo";
import type { Preferences } from "../bindings/Preferences";
import type { UiError } from "../bindings/UiError";
import type { UiErrorKind } from "../bindings/UiErrorKind";
import type { FacilitySummary } from "../bindings/FacilitySummary";
import type { FacilityPage } from "../bindings/FacilityPage";
import type { ImportPreview } from "../bindings/ImportPreview";
import type { ImportApplied } from "../bindings/ImportApplied";
import type { ChecklistChoice } from "../bindings/ChecklistChoice";
import type { NewAudit } from "../bindings/NewAudit";
import type { AuditWorkspace } from "../bindings/AuditWorkspace";
import type { FindingWithActions } from "../bindings/FindingWithActions";
import type { ActionUpdate } from "../bindings/ActionUpdate";
import type { FeesView } from "../bindings/FeesView";
import type { NewFee } from "../bindings/NewFee";
import type { PhotoData } from "../bindings/PhotoData";
import type { Severity } from "../bindings/Severity";
import type { SyncStatus } from "../bindings/SyncStatus";
import type { SyncProgress } from "../bindings/SyncProgress";
import type { SyncReport } from "../bindings/SyncReport";
import type { ConflictView } from "../bindings/ConflictView";
import type { QuarantinedOp } from "../bindings/QuarantinedOp";
import type { Resolution } from "../bindings/Resolution";
import type { InterviewsOverview } from "../bindings/InterviewsOverview";
import type { InterviewForm } from "../bindings/InterviewForm";
import type { InterviewReview } from "../bindings/InterviewReview";
import type { InterviewSummary } from "../bindings/InterviewSummary";
import type { ReportedFees } from "../bindings/ReportedFees";
import type { SignoffCheck } from "../bindings/SignoffCheck";
import type { Audit } from "../bindings/Audit";
import type { ReviewDecision } from "../bindings/ReviewDecision";
import type { ReportPreview } from "../bindings/ReportPreview";
import type { ReportProgress } from "../bindings/ReportProgress";
import type { SavedFile } from "../bindings/SavedFile";
import type { ReportKind } from "../bindings/ReportKind";
import type { CapItem } from "../bindings/CapItem";
import type { CapImport } from "../bindings/CapImport";
import type { PreviousFinding } from "../bindings/PreviousFinding";
import type { VerificationInput } from "../bindings/VerificationInput";
import type { FindingHistory } from "../bindings/FindingHistory";
import type { SupplierResponse } from "../bindings/SupplierResponse";
import type { PendingResponse } from "../bindings/PendingResponse";
import type { QueueList } from "../bindings/QueueList";
import type { QueueEntry } from "../bindings/QueueEntry";
import type { CapFilter } from "../bindings/CapFilter";
import type { CapRow } from "../bindings/CapRow";
import type { CapSortColumn } from "../bindings/CapSortColumn";
import type { ExportFormat } from "../bindings/ExportFormat";
import type { OfficeFilter } from "../bindings/OfficeFilter";
import type { Dashboard } from "../bindings/Dashboard";
import type { PlanRow } from "../bindings/PlanRow";
import type { PlanSortColumn } from "../bindings/PlanSortColumn";
import type { Scorecard } from "../bindings/Scorecard";
import type { ReferenceImportSummary } from "../bindings/ReferenceImportSummary";
import type { CommandName } from "../bindings/CommandName";
import type { MyAuditsView } from "../bindings/MyAuditsView";
import type { AuditPermissions } from "../bindings/AuditPermissions";
import type { Permission } from "../bindings/Permission";
import type { Missing } from "../bindings/Missing";

export { Channel };
export type {
  AppInfo, Preferences, UiError, FacilitySummary, FacilityPage, ImportPreview, ImportApplied,
  ChecklistChoice, NewAudit, AuditWorkspace, FindingWithActions, ActionUpdate, FeesView, NewFee,
  PhotoData, Severity, SyncStatus, SyncProgress, SyncReport, ConflictView, QuarantinedOp, Resolution,
  InterviewsOverview, InterviewForm, InterviewReview, InterviewSummary, ReportedFees, SignoffCheck,
  Audit, ReviewDecision, CapItem, CapImport, PreviousFinding, VerificationInput, FindingHistory, SupplierResponse, PendingResponse,
  QueueList, QueueEntry, CapFilter, CapRow, CapSortColumn, ExportFormat, OfficeFilter,
  Dashboard, PlanRow, PlanSortColumn, Scorecard, ReferenceImportSummary, ReportPreview, ReportProgress, SavedFile,
  ReportKind, MyAuditsView, AuditPermissions, Permission, Missing,
};

/** Turns anything a failed command throws into a message and a hint. */
export function toUiError(e: unknown): UiError {
  if (e && typeof e === "object" && "message" in e && "hint" in e) {
    const o = e as { message: unknown; hint: unknown; kind?: unknown };
    return { message: String(o.message), hint: String(o.hint), kind: typeof o.kind === "string" ? (o.kind as UiErrorKind) : "other" };
  }
  const text = e instanceof Error ? e.message : typeof e === "string" ? e : "Something went wrong.";
  return {
    message: text.length > 300 ? `${text.slice(0, 300)}…` : text,
    hint: "Try again. If it keeps happening, restart FieldAudit; your saved work is safe.",
    kind: "other",
  };
}

async function call<T>(cmd: CommandName, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw toUiError(e);
  }
}

/** The two plugin commands the UI calls (Tauri's own; allowed in
 * capabilities/main.json beside the command list, which has only ours). */
type PluginCommand = "plugin:dialog|save" | "plugin:opener|open_path";

async function callPlugin<T>(cmd: PluginCommand, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw toUiError(e);
  }
}

export const api = {
  appInfo: () => call<AppInfo>("app_info"),
  setupOffline: (deviceName: string) => call<AppInfo>("setup_offline", { deviceName }),
  setLanguage: (language: string) => call<Preferences>("set_language", { language }),
  setAutoSync: (enabled: boolean) => call<Preferences>("set_auto_sync", { enabled }),

  listFacilities: (search: string) => call<FacilitySummary[]>("list_facilities", { search }),
  facilityPage: (facilityId: string) => call<FacilityPage>("facility_page", { facilityId }),
  previewImport: (csv: string) => call<ImportPreview>("preview_import", { csv }),
  applyImport: () => call<ImportApplied>("apply_import"),
  cancelImport: () => call<void>("cancel_import"),

  listChecklists: (language: string) => call<ChecklistChoice[]>("list_checklists", { language }),
  startAudit: (audit: NewAudit) => call<string>("start_audit", { audit }),
  myAudits: () => call<MyAuditsView>("my_audits"),
  auditPermissions: (auditId: string) => call<AuditPermissions>("audit_permissions", { auditId }),
  workspace: (auditId: string, language: string) => call<AuditWorkspace>("audit_workspace", { auditId, language }),
  recordAnswer: (a: { auditId: string; templateId: string; itemId: string; instanceId: string | null; value: unknown; language: string }) =>
    call<AuditWorkspace>("record_answer", a),
  setAnswerNote: (a: { auditId: string; templateId: string; itemId: string; instanceId: string | null; note: string }) =>
    call<void>("set_answer_note", a),
  addRepeatInstance: (a: { auditId: string; templateId: string; sectionId: string; label: string; language: string }) =>
    call<AuditWorkspace>("add_repeat_instance", a),
  removeRepeatInstance: (a: { auditId: string; instanceId: string; language: string }) => call<AuditWorkspace>("remove_repeat_instance", a),
  addPhoto: (a: { auditId: string; answerId: string; fileName: string; mediaType: string; dataBase64: string }) => call<string>("add_photo", a),
  photoData: (auditId: string, attachmentIds: string[]) => call<PhotoData[]>("photo_data", { auditId, attachmentIds }),
  removeAttachment: (attachmentId: string) => call<void>("remove_attachment", { attachmentId }),

  listFindings: (auditId: string) => call<FindingWithActions[]>("list_findings", { auditId }),
  updateAction: (actionId: string, update: ActionUpdate) => call<void>("update_action", { actionId, update }),
  raiseFinding: (auditId: string, severity: Severity, title: string, description: string) =>
    call<string>("raise_finding", { auditId, severity, title, description }),

  auditSignoffs: (auditId: string) => call<SignoffCheck[]>("audit_signoffs", { auditId }),
  signOffAudit: (auditId: string, signer: string) => call<SignoffCheck[]>("sign_off_audit", { auditId, signer }),
  auditDetails: (auditId: string) => call<Audit>("audit_details", { auditId }),
  reviewAudit: (auditId: string, decision: ReviewDecision, comment: string) => call<Audit>("review_audit", { auditId, decision, comment }),

  // The corrective-action loop: locking, the site's acknowledgement, deadlines,
  // CAP evidence, follow-ups, history, supplier responses.
  reopenAudit: (auditId: string, reason: string) => call<SignoffCheck[]>("reopen_audit", { auditId, reason }),
  acknowledgeAudit: (auditId: string, name: string, role: string) => call<Audit>("acknowledge_audit", { auditId, name, role }),
  recordSiteResponse: (findingId: string, response: string, comment: string) => call<void>("record_site_response", { findingId, response, comment }),
  capItems: (auditId: string) => call<CapItem[]>("cap_items", { auditId }),
  addCapEvidence: (auditId: string, actionId: string, fileName: string, dataBase64: string) => call<CapItem[]>("add_cap_evidence", { auditId, actionId, fileName, dataBase64 }),
  previousFindings: (auditId: string) => call<PreviousFinding[]>("previous_findings", { auditId }),
  recordVerification: (auditId: string, findingId: string, input: VerificationInput) => call<PreviousFinding[]>("record_verification", { auditId, findingId, input }),
  desktopReview: (findingId: string, input: VerificationInput) => call<void>("desktop_review", { findingId, input }),
  findingHistory: (findingId: string) => call<FindingHistory>("finding_history", { findingId }),
  exportCapWorkbook: (facilityId: string) => call<string>("export_cap_workbook", { facilityId }),
  importCapWorkbook: (fileName: string, dataBase64: string, apply: boolean) => call<CapImport>("import_cap_workbook", { fileName, dataBase64, apply }),
  pendingSupplierResponses: (language: string) => call<PendingResponse[]>("pending_supplier_responses", { language }),
  decideSupplierResponse: (responseId: string, accept: boolean, reason: string, language: string) =>
    call<PendingResponse[]>("decide_supplier_response", { responseId, accept, reason, language }),
  // The office (reviewers and admins): every figure is computed in core; exports
  // return the path of the file written.
  reviewQueue: (list: QueueList) => call<QueueEntry[]>("office_review_queue", { list }),
  capTracker: (filter: CapFilter) => call<CapRow[]>("office_cap_tracker", { filter }),
  exportCaps: (filter: CapFilter, format: ExportFormat) => call<string>("office_export_caps", { filter, format }),
  dashboard: (filter: OfficeFilter, currency: string) => call<Dashboard>("office_dashboard", { filter, currency }),
  plan: (country: string | null, sort: PlanSortColumn, descending: boolean) => call<PlanRow[]>("office_plan", { country, sort, descending }),
  exportPlan: (country: string | null, sort: PlanSortColumn, descending: boolean, format: ExportFormat) =>
    call<string>("office_export_plan", { country, sort, descending, format }),
  scorecard: (facilityId: string, currency: string) => call<Scorecard>("office_scorecard", { facilityId, currency }),
  importRates: (csv: string, fileName: string) => call<ReferenceImportSummary>("office_import_rates", { csv, fileName }),
  importWgi: (csv: string, fileName: string) => call<ReferenceImportSummary>("office_import_wgi", { csv, fileName }),

  listFees: (auditId: string) => call<FeesView>("list_fees", { auditId }),
  saveFeeRecord: (auditId: string, recordId: string | null, workerRef: string, fields: Record<string, unknown>) =>
    call<FeesView>("save_fee_record", { auditId, recordId, workerRef, fields }),
  addFee: (auditId: string, recordId: string, fee: NewFee) => call<FeesView>("add_fee", { auditId, recordId, fee }),
  removeFee: (auditId: string, feeId: string) => call<FeesView>("remove_fee", { auditId, feeId }),

  connect: (a: { serverUrl: string; organisation: string; username: string; password: string; deviceName: string }) => call<AppInfo>("connect", a),
  logout: () => call<void>("logout"),
  syncStatus: () => call<SyncStatus>("sync_status"),
  syncNow: (onProgress: Channel<SyncProgress>) => call<SyncReport>("sync_now", { onProgress }),
  cancelSync: () => call<void>("cancel_sync"),
  listConflicts: (includeResolved: boolean) => call<ConflictView[]>("list_conflicts", { includeResolved }),
  resolveConflict: (conflictId: string, resolution: Resolution) => call<void>("resolve_conflict", { conflictId, resolution }),
  listQuarantine: () => call<QuarantinedOp[]>("list_quarantine"),
  dismissQuarantined: (deviceSeq: number) => call<void>("dismiss_quarantined", { deviceSeq }),

  // Confidential interviews: drafts are encrypted under the interviewer's passphrase
  // (the key stays in the backend's memory); finalising seals them to the reviewers.
  interviewsOverview: (auditId: string, siteWorkers: number | null, language: string) =>
    call<InterviewsOverview>("interviews_overview", { auditId, siteWorkers, language }),
  unlockInterviews: (passphrase: string) => call<void>("unlock_interviews", { passphrase }),
  /** True when the OS keyring opened the drafts; false: ask for the passphrase. */
  unlockInterviewsKeyring: () => call<boolean>("unlock_interviews_keyring"),
  lockInterviews: () => call<void>("lock_interviews"),
  startInterview: (auditId: string, interviewer: string, conductedOn: string) => call<string>("start_interview", { auditId, interviewer, conductedOn }),
  interviewForm: (interviewId: string, language: string) => call<InterviewForm>("interview_form", { interviewId, language }),
  setInterviewAnswer: (interviewId: string, itemId: string, value: unknown, language: string) =>
    call<InterviewForm>("set_interview_answer", { interviewId, itemId, value, language }),
  setInterviewFees: (interviewId: string, fees: ReportedFees[], language: string) => call<InterviewForm>("set_interview_fees", { interviewId, fees, language }),
  setInterviewDetails: (interviewId: string, interviewer: string, conductedOn: string, language: string) =>
    call<InterviewForm>("set_interview_details", { interviewId, interviewer, conductedOn, language }),
  finaliseInterview: (interviewId: string) => call<InterviewSummary>("finalise_interview", { interviewId }),
  discardInterview: (interviewId: string) => call<void>("discard_interview", { interviewId }),
  // Reviewer mode: the key file's text and passphrase; the identity stays in memory.
  unlockReviewerKey: (keyFile: string, passphrase: string) => call<void>("unlock_reviewer_key", { keyFile, passphrase }),
  forgetReviewerKey: () => call<void>("forget_reviewer_key"),
  reviewInterviews: (auditId: string, language: string) => call<InterviewReview>("review_interviews", { auditId, language }),

  // Reports and exports: the backend typesets and writes; the UI asks where to save
  // (the dialog plugin's save dialog) and can open the saved file (the opener plugin).
  reportPreview: (auditId: string, reportKind: ReportKind, lang: string, onProgress: Channel<ReportProgress>) =>
    call<ReportPreview>("report_preview", { auditId, reportKind, lang, onProgress }),
  saveReport: (auditId: string, reportKind: ReportKind, lang: string, path: string) => call<SavedFile>("save_report", { auditId, reportKind, lang, path }),
  exportData: (format: ExportFormat, auditId: string | null, path: string) => call<SavedFile>("export_data", { format, auditId, path }),
  exportFacilities: (path: string) => call<SavedFile>("export_facilities", { path }),
  saveDirOverride: () => call<string | null>("save_dir_override"),
  /** The native save dialog; null when the person cancels. */
  chooseSavePath: (defaultPath: string, filterName: string, extensions: string[]) =>
    callPlugin<string | null>("plugin:dialog|save", { options: { defaultPath, filters: [{ name: filterName, extensions }] } }),
  /** Opens a saved file in the system's viewer. */
  openPath: (path: string) => callPlugin<void>("plugin:opener|open_path", { path }),
};
