//! What one signature costs, per algorithm, with `Signer::sign`; for ES256 also with
//! jsonwebtoken's own `encode` on the same key (it parses the key again for every token, which
//! `Signer` no longer does), the two run alternately.
//!
//! `cargo run --release -p jose --example sign_cost [tokens]` (default 2000 per algorithm).

use std::time::Instant;

use base64::{engine::general_purpose::STANDARD, Engine as _};
use jose::{Alg, Signer};
use jsonwebtoken::{EncodingKey, Header};
use serde_json::json;

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2000);
    let rounds = 10;
    let per_round = (n / rounds).max(1);
    let claims = json!({"iss": "https://portal.example", "sub": "synthetic", "iat": 1_800_000_000});
    let time = |f: &dyn Fn()| {
        let t = Instant::now();
        for _ in 0..per_round {
            f();
        }
        t.elapsed().as_secs_f64()
    };
    println!("alg    Signer::sign µs/token   jsonwebtoken::encode µs/token");
    for alg in Alg::ALL {
        let signer = Signer::generate(alg).expect("a key");
        // The old path, for ES256: jsonwebtoken with the PKCS#8 DER key.
        let old = (alg == Alg::Es256).then(|| {
            let pem = signer.to_pkcs8_pem().expect("pem");
            let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
            let der = STANDARD.decode(body).expect("base64");
            let mut header = Header::new(jsonwebtoken::Algorithm::ES256);
            header.kid = Some(signer.kid().to_owned());
            (header, EncodingKey::from_ec_der(&der))
        });
        let (mut ours, mut theirs) = (0f64, 0f64);
        // Alternate the two, in rounds, so drift on a shared machine hits both alike.
        for _ in 0..rounds {
            ours += time(&|| {
                std::hint::black_box(signer.sign(&claims).expect("signed"));
            });
            if let Some((header, key)) = &old {
                theirs += time(&|| {
                    std::hint::black_box(
                        jsonwebtoken::encode(header, &claims, key).expect("signed"),
                    );
                });
            }
        }
        let per = |total: f64| total * 1e6 / f64::from(per_round * rounds);
        let old_text = if old.is_some() {
            format!("{:.1}", per(theirs))
        } else {
            "(the same path)".to_string()
        };
        println!("{:<6} {:>21.1}   {old_text:>29}", alg.as_str(), per(ours));
    }
}
