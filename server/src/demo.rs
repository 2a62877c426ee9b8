//! Demo mode: seeds a small, clearly fictional data set so the portal can be tried at once.

use app::{
    domain::{OrganisationKind, OrganisationName},
    services::Services,
    store::{self, organisations, StoreError},
};

/// The demo organisation's name.
pub const DEMO_ORGANISATION: &str = "Demo Pensions Ltd";

/// Seeds the demo data if it is not there yet. Running it again changes nothing.
pub async fn seed(services: &Services) -> Result<(), StoreError> {
    let db = &services.db;
    let name = OrganisationName::parse(DEMO_ORGANISATION).map_err(|_| StoreError::Corrupt {
        what: "demo organisation name",
        value: DEMO_ORGANISATION.to_string(),
    })?;
    if organisations::find_by_name(db, &name).await?.is_some() {
        return Ok(());
    }
    let mut tx: store::Tx = db.begin_write().await?;
    match organisations::insert(
        &mut tx,
        &name,
        OrganisationKind::PensionProvider,
        services.clock.now(),
    )
    .await
    {
        Ok(id) => {
            tx.commit().await?;
            tracing::info!(organisation_id = id, "demo organisation created");
            Ok(())
        }
        // Another instance seeded it between our check and our insert.
        Err(StoreError::Duplicate(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Printed at start in demo mode: where to go and what is there.
pub fn print_banner(addr: &std::net::SocketAddr) {
    println!();
    println!("  Demo mode: fictional data only.");
    println!("  Open http://{addr}/ in a browser.");
    println!("  Demo organisation: {DEMO_ORGANISATION}");
    println!();
}
