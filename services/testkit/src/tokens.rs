use imgup_jwt::{JwtSettings, JwtSigner, Role, TokenSubject};

/// The HS256 secret test services are configured with (32 bytes or more).
pub const TEST_JWT_SECRET: &str = "imgup-test-secret-that-is-long-enough-0123";

/// Mints tokens as `imgup-auth` would, for the test's own services.
pub struct TestTokens {
    signer: JwtSigner,
}

impl TestTokens {
    pub fn new(settings: &JwtSettings) -> Self {
        Self {
            signer: settings.signer().expect("valid test JWT settings"),
        }
    }

    pub fn settings() -> JwtSettings {
        JwtSettings::hs256(TEST_JWT_SECRET)
    }

    pub fn user(&self, user_id: &str) -> String {
        self.token(user_id, Role::User)
    }

    pub fn admin(&self, user_id: &str) -> String {
        self.token(user_id, Role::Admin)
    }

    pub fn signer(&self) -> &JwtSigner {
        &self.signer
    }

    fn token(&self, user_id: &str, role: Role) -> String {
        self.signer.sign(&TokenSubject {
            user_id: user_id.into(),
            email: format!("{user_id}@example.com"),
            name: Some(format!("User {user_id}")),
            role,
        })
    }
}

impl Default for TestTokens {
    fn default() -> Self {
        Self::new(&Self::settings())
    }
}
