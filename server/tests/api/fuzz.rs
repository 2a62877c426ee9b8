//! Hostile input to every server function, as every kind of caller: empty, boundary and hostile
//! values, missing, repeated and unknown fields, huge values, invalid UTF-8 and the wrong body
//! type. Never a 5xx; a request refused with 4xx changes no row; script put into the database
//! comes back escaped on every page that shows it. `PORTAL_FUZZ_CASES` sets the mutations per
//! server function and caller (default 8; the test command runs the default).

use rand::{rngs::StdRng, Rng, SeedableRng};
use reqwest::StatusCode;

use crate::{
    authz::ALLOW,
    helpers::{client, spawn_app_with, TestApp, ADMIN, MANAGER, STAFF},
};

const SCRIPT: &str = "<script>alert('pdp')</script>";

/// Values that have broken parsers before.
fn hostile_values() -> Vec<String> {
    vec![
        String::new(),
        " ".into(),
        "0".into(),
        "-1".into(),
        "99999999999999999999999".into(),
        "2026-02-30".into(),
        "1e309".into(),
        "true".into(),
        "null".into(),
        SCRIPT.into(),
        "' OR 1=1 --".into(),
        "=HYPERLINK(\"https://evil.example\")".into(),
        "\u{0}\u{1}\u{7f}".into(),
        "é✓ \u{202e}RTL".into(),
        "../../etc/passwd".into(),
        "x".repeat(20_000),
    ]
}

/// Row counts of the tables a request could change (audit rows and sessions are left out: a
/// refused sign-in is audited, and any visit may start a session).
async fn fingerprint(app: &TestApp) -> Vec<i64> {
    let tables = [
        "organisations",
        "users",
        "schemes",
        "oat_requests",
        "queries",
        "connectivity_runs",
        "outbox",
        "invitations",
        "recovery_codes",
    ];
    let mut counts = Vec::new();
    for t in tables {
        let sql = format!("SELECT COUNT(*) FROM {t}");
        let n: i64 =
            app::on_db!(&app.db, pool => sqlx::query_scalar(&sql).fetch_one(pool).await).unwrap();
        counts.push(n);
    }
    counts
}

/// One mutation of a plausible form body, as raw bytes and a content type.
fn mutate(rng: &mut StdRng, body: &str) -> (Vec<u8>, &'static str) {
    let form = "application/x-www-form-urlencoded";
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let encode = |pairs: &[(String, String)]| {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish()
            .into_bytes()
    };
    let values = hostile_values();
    match rng.gen_range(0..7) {
        0 => (Vec::new(), form),
        1 if !fields.is_empty() => {
            let mut f = fields.clone();
            let i = rng.gen_range(0..f.len());
            f[i].1 = values[rng.gen_range(0..values.len())].clone();
            (encode(&f), form)
        }
        2 if !fields.is_empty() => {
            let mut f = fields.clone();
            f.remove(rng.gen_range(0..f.len()));
            (encode(&f), form)
        }
        3 if !fields.is_empty() => {
            let mut f = fields.clone();
            let i = rng.gen_range(0..f.len());
            f.push((
                f[i].0.clone(),
                values[rng.gen_range(0..values.len())].clone(),
            ));
            (encode(&f), form)
        }
        4 => {
            let mut f = fields.clone();
            f.push(("organisation_id".into(), "1".into()));
            f.push(("status".into(), "live".into()));
            (encode(&f), form)
        }
        5 => {
            // Invalid UTF-8, percent-encoded and raw.
            let mut bytes = encode(&fields);
            bytes.extend_from_slice(b"&name=%FF%FE%C0&other=\xff\xfe");
            (bytes, form)
        }
        _ => (
            b"{\"id\": [1, 2], \"code\": {}}".to_vec(),
            "application/json",
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_input_never_breaks_a_server_function_or_changes_a_row_when_refused() {
    let cases: usize = std::env::var("PORTAL_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let seed: u64 = std::env::var("PORTAL_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20261206);
    let app = spawn_app_with(|c| c.sign_in_burst = 100_000, axum::Router::new()).await;
    app.seed_accounts().await;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut sent = 0;
    let mut refused = 0;
    for who in ["anonymous", MANAGER, STAFF, ADMIN] {
        // Sign-out ends the caller's session, so it is sent last, once, by each.
        for (path, body, _) in ALLOW.iter().filter(|(p, _, _)| *p != "/api/auth/sign-out") {
            // A fresh session for each server function: a mutation may sign the caller out.
            let c = if who == "anonymous" {
                client()
            } else {
                app.signed_in(who).await
            };
            for _ in 0..cases {
                let (bytes, content_type) = mutate(&mut rng, body);
                let before = fingerprint(&app).await;
                let r = c
                    .post(app.url(path))
                    .header("sec-fetch-site", "same-origin")
                    .header("content-type", content_type)
                    .body(bytes.clone())
                    .send()
                    .await
                    .unwrap();
                let status = r.status();
                sent += 1;
                assert!(
                    !status.is_server_error(),
                    "{who} {path} {:?} gave {status}: {}",
                    String::from_utf8_lossy(&bytes)
                        .chars()
                        .take(300)
                        .collect::<String>(),
                    r.text()
                        .await
                        .unwrap_or_default()
                        .chars()
                        .take(500)
                        .collect::<String>()
                );
                if status.is_client_error() {
                    refused += 1;
                    assert_eq!(
                        fingerprint(&app).await,
                        before,
                        "{who} {path} was refused ({status}) but changed rows"
                    );
                }
            }
        }
    }
    println!("fuzz: {sent} requests (seed {seed}, {cases} cases each), {refused} refused with 4xx, none 5xx");

    // Script stored through the forms comes back escaped wherever it is shown.
    let admin = app.signed_in(ADMIN).await;
    let r = app
        .post_form(
            &admin,
            "/api/admin/organisations/create",
            &[("name", SCRIPT), ("kind", "pension_scheme")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FOUND);
    let manager = app.signed_in(MANAGER).await;
    app.post_form(&manager, "/api/queries/raise", &[("question", SCRIPT)])
        .await;
    let staff = app.signed_in(STAFF).await;
    for (c, path) in [
        (&admin, "/admin/organisations"),
        (&staff, "/staff/organisations"),
        (&staff, "/staff/audit"),
        (&staff, "/staff/queries"),
        (&staff, "/staff/emails"),
        (&manager, "/queries"),
    ] {
        let page = app.page_text(c, path).await;
        assert!(!page.contains(SCRIPT), "{path} shows the script unescaped");
    }
    let queries = app.page_text(&manager, "/queries").await;
    assert!(
        queries.contains("&lt;script&gt;"),
        "the question is shown, escaped: {queries}"
    );
}

#[tokio::test]
async fn hostile_path_parameters_and_uploads_never_give_a_5xx() {
    let app = spawn_app_with(|c| c.sign_in_burst = 100_000, axum::Router::new()).await;
    app.seed_accounts().await;
    let params = [
        "-1",
        "0",
        "99999999999999999999999",
        "1.5",
        "%FF%FE",
        "..%2F..%2Fetc%2Fpasswd",
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "%00",
        "x",
    ];
    let routes = [
        "/requests/{}",
        "/requests/{}/change-date",
        "/requests/{}/withdraw",
        "/oat/{}",
        "/oat/1/{}",
        "/connectivity/runs/{}",
        "/staff/requests/{}",
        "/staff/requests/{}/outcome",
        "/staff/queries/{}",
        "/staff/organisations/{}",
        "/admin/organisations/{}",
        "/admin/users/{}",
        "/invitation/{}",
        "/staff/upcoming?weeks={}",
        "/staff/upcoming.csv?weeks={}",
    ];
    let harbour = "manager@harbour-pensions.example";
    let mut sent = 0;
    for who in ["anonymous", MANAGER, STAFF, ADMIN] {
        let c = if who == "anonymous" {
            client()
        } else {
            app.signed_in(who).await
        };
        for route in routes {
            for p in params {
                let path = route.replace("{}", p);
                let r = c.get(app.url(&path)).send().await.unwrap();
                sent += 1;
                assert!(
                    !r.status().is_server_error(),
                    "{who} GET {path}: {}",
                    r.status()
                );
            }
        }
    }
    // Uploads of schemes (the one multipart route): formulas, odd encodings, broken files.
    let c = app.signed_in(harbour).await;
    let header = "name,regulator,regulator_number,connection_date\n";
    let files: Vec<Vec<u8>> = vec![
        Vec::new(),
        format!("{header}=cmd|' /C calc'!A0,TPR,10000001,2027-01-10\n").into_bytes(),
        format!("{header}+SUM(A1:A9),@x,-1,2027-02-30\n").into_bytes(),
        [
            &[0xEF, 0xBB, 0xBF][..],
            format!("{header}Bom Scheme,TPR,10000002,2027-01-10\n").as_bytes(),
        ]
        .concat(),
        [&[0xFF, 0xFE][..], "n\0a\0m\0e\0".as_bytes()].concat(),
        b"name,regulator\n\xff\xfe\xfd,TPR\n".to_vec(),
        format!("{header}\"unterminated,TPR,1,2027-01-10\n").into_bytes(),
        format!("{header}{}\n", "a,".repeat(5_000)).into_bytes(),
        format!("{header}{}", "Many,TPR,10000003,2027-01-10\n".repeat(3_000)).into_bytes(),
    ];
    for file in files {
        let part = reqwest::multipart::Part::bytes(file.clone())
            .file_name("schemes.csv")
            .mime_str("text/csv")
            .unwrap();
        let r = c
            .post(app.url("/organisation/schemes/upload"))
            .header("sec-fetch-site", "same-origin")
            .header("accept", "text/html")
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
            .await
            .unwrap();
        sent += 1;
        assert!(
            !r.status().is_server_error(),
            "upload of {:?}: {}",
            String::from_utf8_lossy(&file)
                .chars()
                .take(80)
                .collect::<String>(),
            r.status()
        );
        let page = app.page_text(&c, "/organisation/schemes/upload").await;
        assert!(page.contains("<h1"), "the upload page still opens after it");
    }
    println!("fuzz: {sent} hostile paths and uploads, none 5xx");
}
