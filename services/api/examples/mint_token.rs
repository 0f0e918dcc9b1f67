//! Prints a token for `JWT_SECRET` (user `bench`), as imgup-auth would issue it.

use imgup_jwt::{JwtSettings, Role, TokenSubject};

fn main() {
    let secret = std::env::var("JWT_SECRET").expect("JWT_SECRET");
    let signer = JwtSettings::hs256(secret)
        .signer()
        .expect("a valid JWT_SECRET");
    println!(
        "{}",
        signer.sign(&TokenSubject {
            user_id: "bench".into(),
            email: "bench@example.com".into(),
            name: None,
            role: Role::User,
        })
    );
}
