//! `portal create-admin`: the first programme admin, made from the command line (production has
//! no default accounts).

use std::{io::BufRead, sync::Arc};

use anyhow::{bail, Context};
use app::{
    auth::password::{is_guessable, PasswordHasher},
    clock::{Clock, SystemClock},
    domain::{EmailAddress, NewPassword, PasswordContext, PersonName, Role},
    store::{
        audit::{self, AuditAction, NewAuditEvent},
        users, Db, StoreError,
    },
};

use crate::config::Config;

pub async fn create_admin(config: &Config, email: &str, name: &str) -> anyhow::Result<()> {
    let address = EmailAddress::parse(email).map_err(|e| anyhow::anyhow!("{e}"))?;
    let person = PersonName::parse(name).map_err(|e| anyhow::anyhow!("{e}"))?;
    let password = match std::env::var("PORTAL_ADMIN_PASSWORD") {
        Ok(p) if !p.is_empty() => p,
        _ => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("could not read the password from standard input")?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    let context = PasswordContext {
        name: person.as_str(),
        email: address.as_str(),
        organisation: None,
    };
    let new_password = NewPassword::parse(&password, &context, is_guessable)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let db = Db::connect(&config.database_url, &config.pool).await?;
    db.migrate().await?;
    let hasher = PasswordHasher::new(1)?;
    let hash = hasher.hash(&new_password).await?;
    let now = Arc::new(SystemClock).now();
    let mut tx = db.begin_write().await?;
    let id = match users::insert(
        &mut tx,
        None,
        &person,
        &address,
        &[Role::ProgrammeAdmin],
        now,
    )
    .await
    {
        Ok(id) => id,
        Err(StoreError::Duplicate(_)) => {
            bail!("a user with the email address {address} already exists")
        }
        Err(e) => return Err(e.into()),
    };
    users::set_password(&mut tx, id, &hash).await?;
    audit::record(
        &mut tx,
        now,
        &NewAuditEvent {
            action: AuditAction::UserInvited,
            actor_user_id: None,
            target_user_id: Some(id),
            organisation_id: None,
            client_ip: None,
            request_id: None,
            detail: "programme admin created from the command line".into(),
        },
    )
    .await?;
    tx.commit().await?;
    db.close().await;
    println!("Programme admin {address} created. Sign in at /sign-in.");
    Ok(())
}
