//! What the administration subcommands of `fieldaudit-server` do, as plain
//! functions over a [`ServerStore`]: create organisations and users, list and
//! revoke devices.

use fieldaudit_protocol::api::Role;
use uuid::Uuid;

use crate::auth;
use crate::store::{DeviceInfo, Organisation, ServerStore, User};

/// Checks an organisation slug: 2 to 64 of `a-z`, `0-9` and `-`.
pub fn check_slug(slug: &str) -> Result<(), String> {
    let ok = (2..=64).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-');
    if ok {
        Ok(())
    } else {
        Err(format!("organisation slug {slug:?} must be 2 to 64 characters of a-z, 0-9 and '-', e.g. \"acme-audits\""))
    }
}

/// Creates an organisation.
pub async fn create_organisation(
    store: &dyn ServerStore,
    slug: &str,
    name: &str,
) -> anyhow::Result<Organisation> {
    check_slug(slug).map_err(anyhow::Error::msg)?;
    let name = if name.trim().is_empty() {
        slug
    } else {
        name.trim()
    };
    Ok(store.create_organisation(slug, name).await?)
}

/// The organisation `slug`, or an error saying how to create it.
pub async fn organisation(store: &dyn ServerStore, slug: &str) -> anyhow::Result<Organisation> {
    store.organisation_by_slug(slug).await?.ok_or_else(|| {
        anyhow::anyhow!(
            "no organisation {slug:?}; create it with `fieldaudit-server org create {slug}`"
        )
    })
}

/// Adds a user with an argon2-hashed password.
pub async fn add_user(
    store: &dyn ServerStore,
    org_slug: &str,
    username: &str,
    password: &str,
    role: Role,
) -> anyhow::Result<User> {
    let org = organisation(store, org_slug).await?;
    let username = username.trim();
    if username.is_empty() || username.chars().count() > 100 {
        anyhow::bail!("the user name must be 1 to 100 characters");
    }
    auth::check_new_password(password).map_err(anyhow::Error::msg)?;
    let pw = password.to_owned();
    let hash = tokio::task::spawn_blocking(move || auth::hash_password(&pw))
        .await?
        .map_err(anyhow::Error::msg)?;
    Ok(store.add_user(org.id, username, &hash, role).await?)
}

/// The devices of an organisation.
pub async fn list_devices(
    store: &dyn ServerStore,
    org_slug: &str,
) -> anyhow::Result<Vec<DeviceInfo>> {
    let org = organisation(store, org_slug).await?;
    Ok(store.list_devices(org.id).await?)
}

/// Revokes a device of an organisation.
pub async fn revoke_device(
    store: &dyn ServerStore,
    org_slug: &str,
    device_id: Uuid,
) -> anyhow::Result<()> {
    let org = organisation(store, org_slug).await?;
    Ok(store.revoke_device(org.id, device_id).await?)
}

/// The users of an organisation.
pub async fn list_users(
    store: &dyn ServerStore,
    org_slug: &str,
) -> anyhow::Result<Vec<crate::store::UserInfo>> {
    let org = organisation(store, org_slug).await?;
    Ok(store.list_users(org.id).await?)
}

/// Changes a user's role. Their devices get what the new role receives at their
/// next sync (a laptop that received everything keeps only its audits, and the
/// other way round).
pub async fn set_role(
    store: &dyn ServerStore,
    org_slug: &str,
    username: &str,
    role: Role,
) -> anyhow::Result<()> {
    let org = organisation(store, org_slug).await?;
    Ok(store
        .update_user(
            org.id,
            username.trim(),
            crate::store::UserChange::Role(role),
        )
        .await?)
}

/// Disables a user (they cannot sign in; their devices stop syncing at once), or
/// enables them again (they sign in anew on each device).
pub async fn set_disabled(
    store: &dyn ServerStore,
    org_slug: &str,
    username: &str,
    disabled: bool,
) -> anyhow::Result<()> {
    let org = organisation(store, org_slug).await?;
    Ok(store
        .update_user(
            org.id,
            username.trim(),
            crate::store::UserChange::Disabled(disabled),
        )
        .await?)
}

/// Sets a new password for a user.
pub async fn reset_password(
    store: &dyn ServerStore,
    org_slug: &str,
    username: &str,
    password: &str,
) -> anyhow::Result<()> {
    let org = organisation(store, org_slug).await?;
    auth::check_new_password(password).map_err(anyhow::Error::msg)?;
    let pw = password.to_owned();
    let hash = tokio::task::spawn_blocking(move || auth::hash_password(&pw))
        .await?
        .map_err(anyhow::Error::msg)?;
    Ok(store
        .update_user(
            org.id,
            username.trim(),
            crate::store::UserChange::PasswordHash(hash),
        )
        .await?)
}
