//! Prints a token for `JWT_SECRET`, as imgup-auth would issue it:
//! `mint_token [user id, default bench] [admin]`.

use imgup_jwt::{JwtSettings, Role, TokenSubject};

fn main() {
    let secret = std::env::var("JWT_SECRET").expect("JWT_SECRET");
    let mut args = std::env::args().skip(1);
    let user_id = args.next().unwrap_or_else(|| "bench".into());
    let role = match args.next().as_deref() {
        Some("admin") => Role::Admin,
        _ => Role::User,
    };
    let signer = JwtSettings::hs256(secret)
        .signer()
        .expect("a valid JWT_SECRET");
    println!(
        "{}",
        signer.sign(&TokenSubject {
            email: format!("{user_id}@example.com"),
            user_id,
            name: None,
            role,
        })
    );
}
