//! The session store: tower-sessions records in the portal's `sessions` table, on whichever
//! database the portal runs on (`app::store::sessions` has the SQL).
//!
//! Each row names the user the session signs in, and loading a session reads that user with it
//! (one query, not two, on every signed-in request). The store leaves what it read in the
//! record under [`WHO_KEY`] for `app::auth::session::resolve`, and never saves it.
//!
//! Writes are the portal's own write transactions: on SQLite they queue and commit in groups
//! with every other write.

use app::{
    auth::session::{user_id_of, WHO_KEY},
    store::{self, sessions::SessionRow, Db, StoreError},
};
use async_trait::async_trait;
use time::OffsetDateTime;
use tower_sessions::{
    session::{Id, Record},
    session_store::{self, ExpiredDeletion},
    SessionStore,
};

#[derive(Debug, Clone)]
pub struct PortalStore {
    db: Db,
}

impl PortalStore {
    /// The store on the portal's database (its table comes with the migrations).
    pub fn new(db: &Db) -> Self {
        Self { db: db.clone() }
    }
}

fn backend(e: StoreError) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

/// The table row for a record.
fn row_of(record: &Record) -> session_store::Result<SessionRow> {
    Ok(SessionRow {
        id: record.id.to_string(),
        data: encode(record)?,
        expires_at_ms: unix_ms(record.expiry_date),
        user_id: user_id_of(&record.data),
    })
}

/// The record as stored: without the user the store read with it.
fn encode(record: &Record) -> session_store::Result<Vec<u8>> {
    let encoded = if record.data.contains_key(WHO_KEY) {
        let mut stored = record.clone();
        stored.data.remove(WHO_KEY);
        rmp_serde::to_vec(&stored)
    } else {
        rmp_serde::to_vec(record)
    };
    encoded.map_err(|e| session_store::Error::Encode(e.to_string()))
}

/// A time as the table keeps it: Unix milliseconds.
fn unix_ms(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

fn now() -> i64 {
    unix_ms(OffsetDateTime::now_utc())
}

#[async_trait]
impl SessionStore for PortalStore {
    /// A new session; a clash of ids (vanishingly unlikely) draws a new one.
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let mut tx = self.db.begin_write().await.map_err(backend)?;
        while !store::sessions::insert(&mut tx, &row_of(record)?)
            .await
            .map_err(backend)?
        {
            record.id = Id::default();
        }
        tx.commit().await.map_err(backend)
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let mut tx = self.db.begin_write().await.map_err(backend)?;
        store::sessions::save(&mut tx, &row_of(record)?)
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let Some(stored) = store::sessions::load(&self.db, &id.to_string(), now())
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let mut record: Record = rmp_serde::from_slice(&stored.data)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        if let Some(who) = stored.user {
            let who = serde_json::to_value(who)
                .map_err(|e| session_store::Error::Encode(e.to_string()))?;
            record.data.insert(WHO_KEY.to_string(), who);
        }
        Ok(Some(record))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        let mut tx = self.db.begin_write().await.map_err(backend)?;
        store::sessions::delete(&mut tx, &id.to_string())
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)
    }
}

#[async_trait]
impl ExpiredDeletion for PortalStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        let mut tx = self.db.begin_write().await.map_err(backend)?;
        let deleted = store::sessions::delete_expired(&mut tx, now())
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        if deleted > 0 {
            tracing::debug!(deleted, "expired sessions deleted");
        }
        Ok(())
    }
}

/// Deletes expired sessions now and then every `period`, for as long as the portal runs. A
/// failed round is logged and the next one tried as usual.
pub async fn delete_expired_every(store: PortalStore, period: std::time::Duration) {
    loop {
        if let Err(e) = store.delete_expired().await {
            tracing::warn!(error = %e, "could not delete expired sessions");
        }
        tokio::time::sleep(period).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_read_with_a_session_is_never_stored_with_it() {
        let mut record = Record {
            id: Id::default(),
            data: Default::default(),
            expiry_date: OffsetDateTime::now_utc(),
        };
        let now = chrono::Utc::now();
        let user = app::auth::session::SessionUser {
            user_id: 7,
            epoch: 1,
            authenticated_at: now,
            last_seen: now,
            second_factor: true,
        };
        record
            .data
            .insert("user".into(), serde_json::to_value(&user).unwrap());
        record
            .data
            .insert(WHO_KEY.into(), serde_json::json!({ "anything": true }));
        let stored: Record = rmp_serde::from_slice(&encode(&record).unwrap()).unwrap();
        assert!(!stored.data.contains_key(WHO_KEY));
        assert_eq!(stored.data.get("user"), record.data.get("user"));
        assert_eq!(user_id_of(&stored.data), Some(7));
        // The record the request goes on with keeps it.
        assert!(record.data.contains_key(WHO_KEY));
    }
}
