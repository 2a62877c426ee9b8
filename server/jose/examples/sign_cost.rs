//! What one signature costs, per algorithm: `Signer::sign` against jsonwebtoken's own `encode`
//! with the same key (which parses the key again for every token), run back to back.
//!
//! `cargo run --release -p jose --example sign_cost [tokens]` (default 2000 per algorithm).

use std::time::Instant;

use jose::{Alg, Signer};
use jsonwebtoken::{EncodingKey, Header};
use serde_json::json;

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2000);
    let claims = json!({"iss": "https://portal.example", "sub": "synthetic", "iat": 1_800_000_000});
    println!(
        "{:<6} {:>16} {:>22}",
        "alg", "Signer::sign µs", "jsonwebtoken::encode µs"
    );
    for alg in Alg::ALL {
        let signer = Signer::generate(alg).expect("a key");
        let pem = signer.to_pkcs8_pem().expect("pem");
        let key = if alg == Alg::Es256 {
            EncodingKey::from_ec_pem(pem.as_bytes())
        } else {
            EncodingKey::from_rsa_pem(pem.as_bytes())
        }
        .expect("jsonwebtoken reads the key");
        let mut header = Header::new(match alg {
            Alg::Rs256 => jsonwebtoken::Algorithm::RS256,
            Alg::Ps256 => jsonwebtoken::Algorithm::PS256,
            Alg::Es256 => jsonwebtoken::Algorithm::ES256,
        });
        header.kid = Some(signer.kid().to_owned());
        // Alternate the two, in rounds, so drift on a shared machine hits both alike.
        let (mut ours, mut theirs) = (0f64, 0f64);
        let rounds = 10;
        for _ in 0..rounds {
            let t = Instant::now();
            for _ in 0..n / rounds {
                std::hint::black_box(signer.sign(&claims).expect("signed"));
            }
            ours += t.elapsed().as_secs_f64();
            let t = Instant::now();
            for _ in 0..n / rounds {
                std::hint::black_box(jsonwebtoken::encode(&header, &claims, &key).expect("signed"));
            }
            theirs += t.elapsed().as_secs_f64();
        }
        let per = |total: f64| total * 1e6 / f64::from(n / rounds * rounds);
        println!(
            "{:<6} {:>16.1} {:>22.1}",
            alg.as_str(),
            per(ours),
            per(theirs)
        );
    }
}
