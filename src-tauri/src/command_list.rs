// The one list of the commands the desktop app's UI may call, by the module that
// defines each. Nothing else names them by hand:
// - src/lib.rs registers them with Tauri (`generate_handler!`),
// - build.rs declares them in the app manifest (Tauri generates an `allow-…`
//   permission for each) and writes capabilities/main.json, which allows exactly
//   these to the main window,
// - the bindings test writes ui/src/bindings/CommandName.ts, the union type
//   `ui/src/lib/api.ts` calls them by, so a misspelt command is a type error.
// A command missing here is refused by Tauri at run time and cannot be called
// from the UI's code. Each entry is `module: name, name, …;`.
app_commands! {
    commands:
        app_info,
        setup_offline,
        set_language,
        set_auto_sync,
        list_facilities,
        facility_page,
        preview_import,
        apply_import,
        cancel_import,
        list_checklists,
        start_audit,
        audit_workspace,
        my_audits,
        audit_permissions,
        record_answer,
        set_answer_note,
        add_repeat_instance,
        remove_repeat_instance,
        add_photo,
        photo_data,
        remove_attachment,
        list_findings,
        update_action,
        raise_finding,
        list_fees,
        save_fee_record,
        add_fee,
        remove_fee,
        audit_signoffs,
        sign_off_audit,
        audit_details,
        review_audit,
    ;
    cap_cmds:
        reopen_audit,
        acknowledge_audit,
        record_site_response,
        cap_items,
        add_cap_evidence,
        previous_findings,
        record_verification,
        desktop_review,
        finding_history,
        export_cap_workbook,
        import_cap_workbook,
        pending_supplier_responses,
        decide_supplier_response,
    ;
    office_cmds:
        office_review_queue,
        office_cap_tracker,
        office_export_caps,
        office_dashboard,
        office_plan,
        office_export_plan,
        office_scorecard,
        office_import_rates,
        office_import_wgi,
    ;
    report_cmds:
        report_preview,
        save_report,
        export_data,
        export_facilities,
        save_dir_override,
    ;
    sync_cmds:
        connect,
        logout,
        sync_status,
        sync_now,
        cancel_sync,
        list_conflicts,
        resolve_conflict,
        list_quarantine,
        dismiss_quarantined,
    ;
    interview_cmds:
        interviews_overview,
        unlock_interviews,
        unlock_interviews_keyring,
        lock_interviews,
        start_interview,
        interview_form,
        set_interview_answer,
        set_interview_fees,
        set_interview_details,
        finalise_interview,
        discard_interview,
        unlock_reviewer_key,
        forget_reviewer_key,
        review_interviews,
    ;
}
