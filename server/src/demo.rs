//! Demo mode: seeds a small, clearly fictional data set so the portal can be tried at once, and
//! (re)sets the demo accounts' password on every start so the printed one works.

use app::{
    clock::london_today,
    domain::{
        EmailAddress, NewPassword, OrganisationKind, OrganisationName, PasswordContext, PersonName,
        Role,
    },
    services::Services,
    store::{organisations, schemes, users, StoreError},
};

/// The demo organisation's name.
pub const DEMO_ORGANISATION: &str = "Demo Pensions Ltd";

/// The demo organisation's vouching scheme.
pub const DEMO_SCHEME: (&str, &str, &str) = ("Demo Workplace Pension Scheme", "TPR", "10012345");

/// The demo organisations: name, vouching scheme (name, regulator, number), and whether the
/// vouching scheme is already live (so further providers and schemes can be tried at once).
pub const DEMO_ORGANISATIONS: [(&str, (&str, &str, &str), bool); 2] = [
    (DEMO_ORGANISATION, DEMO_SCHEME, false),
    (
        "Harbour Pensions Ltd",
        ("Harbour Master Trust", "TPR", "10098765"),
        true,
    ),
];

/// The demo accounts: email, name, which of [`DEMO_ORGANISATIONS`] they belong to (none for
/// programme users), roles.
pub const DEMO_USERS: [(&str, &str, Option<usize>, &[Role]); 5] = [
    (
        "manager@demo-pensions.example",
        "Sam Manager",
        Some(0),
        &[Role::ServiceManager],
    ),
    (
        "contact@demo-pensions.example",
        "Alex Contact",
        Some(0),
        &[Role::PrimaryBusinessContact],
    ),
    (
        "manager@harbour-pensions.example",
        "Jo Harbour",
        Some(1),
        &[Role::ServiceManager],
    ),
    (
        "staff@pdp.example",
        "Pat Staff",
        None,
        &[Role::ProgrammeStaff],
    ),
    (
        "admin@pdp.example",
        "Robin Admin",
        None,
        &[Role::ProgrammeAdmin],
    ),
];

fn corrupt(what: &'static str, value: &str) -> StoreError {
    StoreError::Corrupt {
        what,
        value: value.to_string(),
    }
}

/// A random password: 20 characters from an unambiguous alphabet (about 110 bits).
pub fn random_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    (0..20)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// One demo organisation and its vouching scheme, if missing; returns the organisation's id.
async fn seed_organisation(
    services: &Services,
    (org_name, (scheme, regulator, number), live): (&str, (&str, &str, &str), bool),
) -> Result<i64, StoreError> {
    let db = &services.db;
    let now = services.clock.now();
    let name =
        OrganisationName::parse(org_name).map_err(|_| corrupt("demo organisation", org_name))?;
    let org_id = match organisations::find_by_name(db, &name).await? {
        Some(org) => org.id,
        None => {
            let mut tx = db.begin_write().await?;
            match organisations::insert(&mut tx, &name, OrganisationKind::PensionProvider, now)
                .await
            {
                Ok(id) => {
                    tx.commit().await?;
                    id
                }
                Err(StoreError::Duplicate(_)) => organisations::find_by_name(db, &name)
                    .await?
                    .map(|o| o.id)
                    .ok_or_else(|| corrupt("demo organisation", org_name))?,
                Err(e) => return Err(e),
            }
        }
    };
    if schemes::list_for_organisation(db, org_id).await?.is_empty() {
        let mut tx = db.begin_write().await?;
        match schemes::insert(&mut tx, org_id, scheme, regulator, number, true, now).await {
            Ok(id) => {
                if live {
                    // Went live a month ago, without a request on record.
                    let went_live = london_today(now) - chrono::Days::new(30);
                    schemes::mark_live(&mut tx, id, went_live).await?;
                }
                tx.commit().await?
            }
            Err(StoreError::Duplicate(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(org_id)
}

/// Seeds the demo organisations and users if missing, then sets every demo user's password.
/// Running it again adds nothing.
pub async fn seed_with_password(services: &Services, password: &str) -> Result<(), StoreError> {
    let db = &services.db;
    let now = services.clock.now();
    let mut org_ids = Vec::with_capacity(DEMO_ORGANISATIONS.len());
    for org in DEMO_ORGANISATIONS {
        org_ids.push(seed_organisation(services, org).await?);
    }
    let new_password = NewPassword::parse(password, &PasswordContext::default(), |_| false)
        .map_err(|_| corrupt("demo password (8 to 256 characters)", "***"))?;
    let hash = services
        .hasher
        .hash(&new_password)
        .await
        .map_err(|e| corrupt("demo password hash", &e.to_string()))?;
    for (email, person, org, roles) in DEMO_USERS {
        let address = EmailAddress::parse(email).map_err(|_| corrupt("demo email", email))?;
        let person = PersonName::parse(person).map_err(|_| corrupt("demo name", person))?;
        let mut tx = db.begin_write().await?;
        let id = match users::credentials_by_email(db, &address).await? {
            Some(existing) => existing.id,
            None => {
                users::insert(
                    &mut tx,
                    org.and_then(|i| org_ids.get(i).copied()),
                    &person,
                    &address,
                    roles,
                    now,
                )
                .await?
            }
        };
        users::set_password(&mut tx, id, &hash).await?;
        users::set_active(&mut tx, id, true).await?;
        tx.commit().await?;
    }
    tracing::info!(organisations = org_ids.len(), "demo data ready");
    Ok(())
}

/// The password demo accounts get: PORTAL_DEMO_PASSWORD, or a new random one each start.
pub fn demo_password() -> String {
    std::env::var("PORTAL_DEMO_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(random_password)
}

/// Seeds with the demo password and returns it (for the banner).
pub async fn seed(services: &Services) -> Result<String, StoreError> {
    let password = demo_password();
    seed_with_password(services, &password).await?;
    Ok(password)
}

/// Printed at start in demo mode: where to go and how to sign in.
pub fn print_banner(addr: &std::net::SocketAddr, password: &str) {
    println!();
    println!("  Demo mode: fictional data only.");
    println!("  Open http://{addr}/sign-in and sign in as one of:");
    for (email, name, org, roles) in DEMO_USERS {
        let role = roles.first().map(|r| r.label()).unwrap_or("");
        let place = match org.and_then(|i| DEMO_ORGANISATIONS.get(i)) {
            Some((org, _, true)) => format!("{org}, vouching scheme live"),
            Some((org, _, false)) => org.to_string(),
            None => "Pensions Dashboards Programme".to_string(),
        };
        println!("    {email:<34} {name} ({role}, {place})");
    }
    println!("  Password for all of them: {password}");
    println!("  (set PORTAL_DEMO_PASSWORD to choose it)");
    println!();
}

/// Starts the demo's find-endpoint simulator (answering 202 to requests it can verify) and
/// points every demo organisation's live find endpoint at it. Its port changes on every start,
/// so the endpoints are set again each time.
pub async fn start_simulator(
    services: &Services,
    options: simulator::SimulatorOptions,
) -> anyhow::Result<simulator::RunningSimulator> {
    let running = simulator::start(options).await?;
    let url = format!("https://{}/find-requests", running.local_addr());
    let now = services.clock.now();
    for (name, _, _) in DEMO_ORGANISATIONS {
        let name =
            OrganisationName::parse(name).map_err(|_| anyhow::anyhow!("demo name {name}"))?;
        if let Some(org) = organisations::find_by_name(&services.db, &name).await? {
            let mut tx = services.db.begin_write().await?;
            app::store::connectivity::set_endpoint(&mut tx, org.id, &url, now).await?;
            tx.commit().await?;
        }
    }
    tracing::info!(%url, "demo find-endpoint simulator listening");
    Ok(running)
}
