//! `fieldaudit interview …` (the interviewer's side) and `fieldaudit reviewer …`
//! (key pairs and decrypting an audit's sealed interviews on the reviewer's machine).
//! Passphrases are asked for without echo, or read from the first line of standard
//! input with `--passphrase-stdin` (scripts).

use std::io::BufRead;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use chrono::NaiveDate;
use clap::Subcommand;
use fieldaudit_core::interviews::{
    generate_reviewer_key, unlock_reviewer_key, ReportedFee, ReportedFees,
};
use fieldaudit_core::Store;
use fieldaudit_protocol::EntityKind;
use rust_decimal::Decimal;

use crate::output;

#[derive(Subcommand, Debug)]
pub enum InterviewCommand {
    /// Start a confidential interview of an audit (an encrypted draft on this device).
    Start {
        /// Audit id (or its last 8+ characters).
        #[arg(long)]
        audit: String,
        /// Your name (the interviewer's, never a worker's).
        #[arg(long)]
        interviewer: String,
        /// Date held (YYYY-MM-DD, default today).
        #[arg(long)]
        date: Option<NaiveDate>,
        /// Read the interview passphrase from standard input.
        #[arg(long)]
        passphrase_stdin: bool,
    },
    /// Set answers of a draft (`--set item=value`, several allowed; choices with
    /// several answers take comma-separated ids) and add reported fees; with
    /// neither, print the draft. Never write a worker's name, ID or phone number.
    Edit {
        /// Interview id.
        id: String,
        /// `item=value`, e.g. `topics.fees=paid` or `category.shift=night,day`.
        #[arg(long = "set")]
        set: Vec<String>,
        /// A fee one worker reported: `category,amount,currency` (e.g. `visa,1500,USD`);
        /// repeat for more fees of the same worker.
        #[arg(long = "fee")]
        fees: Vec<String>,
        /// Read the interview passphrase from standard input.
        #[arg(long)]
        passphrase_stdin: bool,
    },
    /// Seal the interview to the organisation's reviewer keys; the draft is deleted
    /// and this device can no longer read it.
    Finalise {
        /// Interview id.
        id: String,
        /// Read the interview passphrase from standard input.
        #[arg(long)]
        passphrase_stdin: bool,
    },
    /// List an audit's interviews (metadata only).
    List {
        /// Audit id.
        #[arg(long)]
        audit: String,
    },
    /// Suggested sample size and the coverage per category so far.
    Sampling {
        /// Audit id.
        #[arg(long)]
        audit: String,
        /// Workers at the site (default: the facility's worker count).
        #[arg(long)]
        workers: Option<u64>,
        /// Read the interview passphrase from standard input.
        #[arg(long)]
        passphrase_stdin: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum ReviewerCommand {
    /// Make a reviewer key pair: the private key goes to FILE encrypted with your
    /// passphrase; give the printed public key to your admin.
    Keygen {
        /// Where to write the private key file (must not exist).
        #[arg(long)]
        out: PathBuf,
        /// Read the passphrase from standard input.
        #[arg(long)]
        passphrase_stdin: bool,
    },
    /// Decrypt an audit's interviews (synced to this device) with your key.
    Decrypt {
        /// Audit id.
        audit: String,
        /// Your private key file (from `reviewer keygen`).
        #[arg(long)]
        identity: PathBuf,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
        /// Read the passphrase from standard input.
        #[arg(long)]
        passphrase_stdin: bool,
    },
}

pub(crate) fn passphrase(stdin: bool, prompt: &str) -> Result<String> {
    if stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the passphrase from standard input")?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    rpassword::prompt_password(prompt)
        .context("cannot read the passphrase; use --passphrase-stdin in scripts")
}

/// The draft key: from the OS keyring on a device the app set up that way, else
/// from the interviewer's passphrase.
fn draft_key(store: &mut Store, stdin: bool) -> Result<fieldaudit_core::interviews::DraftKey> {
    if store.interview_protection()? == "keyring" {
        if let Some(key) = store.unlock_interviews_with_keyring()? {
            return Ok(key);
        }
    }
    Ok(store.unlock_interviews(&passphrase(stdin, "Interview passphrase: ")?)?)
}

fn open(dir: &Path) -> Result<Store> {
    Ok(Store::open(dir)?)
}

/// Runs an `interview` subcommand.
pub fn interview(dir: &Path, cmd: InterviewCommand) -> Result<()> {
    let mut store = open(dir)?;
    match cmd {
        InterviewCommand::Start {
            audit,
            interviewer,
            date,
            passphrase_stdin,
        } => {
            let audit = store.resolve_id(EntityKind::Audit, &audit)?;
            let key = draft_key(&mut store, passphrase_stdin)?;
            let date = date.unwrap_or_else(|| chrono::Local::now().date_naive());
            let id = store.start_interview(&key, audit, &interviewer, date)?;
            crate::out!("started interview {id} (encrypted draft on this device only)");
            crate::out!(
                "notes must never hold a worker's name, ID or phone number: record categories only"
            );
        }
        InterviewCommand::Edit {
            id,
            set,
            fees,
            passphrase_stdin,
        } => {
            let id = uuid::Uuid::parse_str(id.trim())
                .context("give the interview's full id, as `interview start` printed it")?;
            let key = draft_key(&mut store, passphrase_stdin)?;
            let mut draft = store.interview_draft(&key, id)?;
            if set.is_empty() && fees.is_empty() {
                return output::json(&draft);
            }
            for s in &set {
                let Some((item, value)) = s.split_once('=') else {
                    bail!("--set {s:?}: write item=value, e.g. topics.fees=paid")
                };
                draft.content.set_answer_text(item.trim(), value)?;
            }
            if !fees.is_empty() {
                let mut worker = ReportedFees::default();
                for f in &fees {
                    let parts: Vec<&str> = f.split(',').map(str::trim).collect();
                    let [category, amount, currency] = parts.as_slice() else {
                        bail!("--fee {f:?}: write category,amount,currency, e.g. visa,1500,USD")
                    };
                    let amount: Decimal = amount
                        .parse()
                        .with_context(|| format!("--fee {f:?}: {amount:?} is not an amount"))?;
                    worker.fees.push(ReportedFee {
                        category: category.to_string(),
                        amount,
                        currency: currency.to_string(),
                        paid_to: None,
                        paid_when: None,
                        financed_by_loan: None,
                        note: None,
                    });
                }
                draft.content.fees_reported.push(worker);
            }
            store.save_interview_draft(&key, &draft)?;
            crate::out!("saved draft {id} (encrypted)");
        }
        InterviewCommand::Finalise {
            id,
            passphrase_stdin,
        } => {
            let id = uuid::Uuid::parse_str(id.trim()).context("give the interview's full id")?;
            let key = draft_key(&mut store, passphrase_stdin)?;
            let reviewers = store.reviewer_keys()?;
            let s = store.finalise_interview(&key, id)?;
            let names: Vec<&str> = reviewers.iter().map(|r| r.reviewer.as_str()).collect();
            crate::out!("sealed interview {} to {} reviewer key(s): {}; the draft is deleted and only reviewers can read it. Sync to send it.", s.id, names.len(), names.join(", "));
        }
        InterviewCommand::List { audit } => {
            let audit = store.resolve_id(EntityKind::Audit, &audit)?;
            let rows: Vec<Vec<String>> = store
                .interviews(audit)?
                .into_iter()
                .map(|i| {
                    let o = |v: Option<String>| v.unwrap_or_else(|| "-".into());
                    vec![i.id.to_string(), i.state.to_string(), o(i.conducted_on), o(i.interviewer), o(i.language), o(i.format.map(|f| f.to_string()))]
                })
                .collect();
            output::table(
                &["id", "state", "date", "interviewer", "language", "format"],
                &rows,
            );
        }
        InterviewCommand::Sampling {
            audit,
            workers,
            passphrase_stdin,
        } => {
            let audit = store.resolve_id(EntityKind::Audit, &audit)?;
            let key = draft_key(&mut store, passphrase_stdin)?;
            let g = store.interview_sampling(&key, audit, workers)?;
            output::json(&g)?;
        }
    }
    Ok(())
}

/// Runs a `reviewer` subcommand.
pub fn reviewer(dir: &Path, cmd: ReviewerCommand) -> Result<()> {
    match cmd {
        ReviewerCommand::Keygen {
            out,
            passphrase_stdin,
        } => {
            if out.exists() {
                bail!(
                    "{} already exists; choose another file (a key file is never overwritten)",
                    out.display()
                );
            }
            let pass = passphrase(passphrase_stdin, "Passphrase for your reviewer key: ")?;
            if !passphrase_stdin && pass != passphrase(false, "Once more: ")? {
                bail!("the passphrases differ; nothing was written");
            }
            let pair = generate_reviewer_key(&pass, None)?;
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
            let mut f = opts
                .open(&out)
                .with_context(|| format!("cannot create {}", out.display()))?;
            std::io::Write::write_all(&mut f, pair.identity_file.as_bytes())
                .with_context(|| format!("cannot write {}", out.display()))?;
            crate::out!("private key written to {} (encrypted with your passphrase; keep it on this machine)", out.display());
            crate::out!("public key (give it to your admin): {}", pair.public_key);
        }
        ReviewerCommand::Decrypt {
            audit,
            identity,
            json,
            passphrase_stdin,
        } => {
            let store = open(dir)?;
            let audit = store.resolve_id(EntityKind::Audit, &audit)?;
            let file = std::fs::read_to_string(&identity)
                .with_context(|| format!("cannot read {}", identity.display()))?;
            let id = unlock_reviewer_key(
                &file,
                &passphrase(passphrase_stdin, "Reviewer key passphrase: ")?,
            )?;
            let (reviewed, agg) = store.interview_aggregate(audit, &id)?;
            if json {
                return output::json(
                    &serde_json::json!({ "interviews": reviewed, "aggregate": agg }),
                );
            }
            for r in &reviewed {
                let s = &r.summary;
                crate::out!("interview {} ({} {} {})", s.id, s.conducted_on.as_deref().unwrap_or("-"), s.format.map_or("-", |f| f.as_str()), s.interviewer.as_deref().unwrap_or("-"));
                match &r.content {
                    Ok(c) => {
                        for (item, value) in &c.answers {
                            crate::out!("  {item}: {value}");
                        }
                        for (i, w) in c.fees_reported.iter().enumerate() {
                            for f in &w.fees {
                                crate::out!(
                                    "  worker {} paid {} {} ({})",
                                    i + 1,
                                    f.amount,
                                    f.currency,
                                    f.category
                                );
                            }
                        }
                    }
                    Err(e) => crate::out!("  cannot open: {e}"),
                }
            }
            crate::out!(
                "{} interviews opened, {} could not be opened; {} workers",
                agg.interviews,
                agg.unreadable,
                agg.workers
            );
            crate::out!(
                "workers who reported paying fees: {}",
                agg.workers_reporting_fees
            );
            for (cur, t) in &agg.fees_by_currency {
                crate::out!(
                    "  {cur}: {} paid by {} workers, {} reimbursed",
                    t.paid,
                    t.workers,
                    t.reimbursed
                );
            }
            for (held, n) in &agg.documents_held {
                crate::out!("documents {held}: {n}");
            }
        }
    }
    Ok(())
}
