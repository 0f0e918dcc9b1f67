use std::net::SocketAddr;

use imgup_jwt::JwtSettings;
use imgup_telemetry::LogFormat;

/// Access-token lifetime when `JWT_EXPIRE_MINUTES` is unset.
pub const DEFAULT_EXPIRE_MINUTES: &str = "60";
/// … and with `ENVIRONMENT=development`.
pub const DEVELOPMENT_EXPIRE_MINUTES: &str = "1440";

/// The auth service's settings, from the contract's environment variables.
#[derive(Clone, clap::Parser)]
#[command(name = "imgup-auth", version, about = "imgup's auth service")]
// Access tokens are short here, since sessions refresh them: an hour unless
// JWT_EXPIRE_MINUTES says otherwise, a day in development (`imgup dev`).
#[command(mut_arg("expire_minutes", |arg| arg
    .default_value(DEFAULT_EXPIRE_MINUTES)
    .default_value_if("environment", "development", Some(DEVELOPMENT_EXPIRE_MINUTES))))]
pub struct Config {
    #[arg(
        long,
        env = "BIND_ADDR",
        value_name = "BIND_ADDR",
        default_value = "0.0.0.0:8001"
    )]
    pub bind_addr: SocketAddr,
    #[arg(
        long,
        env = "DATABASE_URL",
        value_name = "DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: String,
    #[arg(long, env = "LOG_FORMAT", value_name = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    #[command(flatten)]
    pub jwt: JwtSettings,
    /// `development` enables the test-token endpoint; anything unset is production.
    #[arg(long, env = "ENVIRONMENT", value_name = "ENVIRONMENT", value_enum, default_value_t = Environment::Production)]
    pub environment: Environment,
    /// Signs the cookie that binds a sign-in to the browser that began it (at least 32 bytes).
    #[arg(
        long,
        env = "SESSION_SECRET",
        value_name = "SESSION_SECRET",
        hide_env_values = true
    )]
    pub session_secret: String,
    /// This service's external base URL; callback URLs are built from it.
    #[arg(
        long,
        env = "PUBLIC_URL",
        value_name = "PUBLIC_URL",
        default_value = "http://localhost:8001"
    )]
    pub public_url: url::Url,
    /// Where a finished sign-in lands by default (`{FRONTEND_URL}/auth/callback`).
    #[arg(
        long,
        env = "FRONTEND_URL",
        value_name = "FRONTEND_URL",
        default_value = "http://localhost:5173"
    )]
    pub frontend_url: url::Url,
    /// Comma-separated emails that get the admin role.
    #[arg(
        long,
        env = "ADMIN_EMAILS",
        value_name = "ADMIN_EMAILS",
        value_delimiter = ',',
        default_value = ""
    )]
    pub admin_emails: Vec<String>,
    /// Browser origins allowed to call the service (refresh, logout, me,
    /// people), comma-separated; none by default. Sign-ins themselves are
    /// redirects and need none.
    #[arg(
        long,
        env = "CORS_ALLOWED_ORIGINS",
        value_name = "CORS_ALLOWED_ORIGINS",
        value_parser = imgup_telemetry::cors::parse_origins,
        default_value = ""
    )]
    pub cors_allowed_origins: imgup_telemetry::cors::Origins,
    #[command(flatten)]
    pub providers: ProviderSettings,
    #[command(flatten)]
    pub rate_limit: crate::rate::RateLimitSettings,
    #[command(flatten)]
    pub metrics: imgup_telemetry::MetricsSettings,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Clone, clap::Args)]
pub struct ProviderSettings {
    #[arg(long, env = "GOOGLE_CLIENT_ID", value_name = "GOOGLE_CLIENT_ID")]
    pub google_client_id: Option<String>,
    #[arg(
        long,
        env = "GOOGLE_CLIENT_SECRET",
        value_name = "GOOGLE_CLIENT_SECRET",
        hide_env_values = true
    )]
    pub google_client_secret: Option<String>,
    #[arg(
        long,
        env = "GOOGLE_AUTH_URL",
        value_name = "GOOGLE_AUTH_URL",
        default_value = "https://accounts.google.com/o/oauth2/v2/auth"
    )]
    pub google_auth_url: url::Url,
    #[arg(
        long,
        env = "GOOGLE_TOKEN_URL",
        value_name = "GOOGLE_TOKEN_URL",
        default_value = "https://oauth2.googleapis.com/token"
    )]
    pub google_token_url: url::Url,
    #[arg(
        long,
        env = "GOOGLE_USERINFO_URL",
        value_name = "GOOGLE_USERINFO_URL",
        default_value = "https://openidconnect.googleapis.com/v1/userinfo"
    )]
    pub google_userinfo_url: url::Url,
    #[arg(long, env = "GITHUB_CLIENT_ID", value_name = "GITHUB_CLIENT_ID")]
    pub github_client_id: Option<String>,
    #[arg(
        long,
        env = "GITHUB_CLIENT_SECRET",
        value_name = "GITHUB_CLIENT_SECRET",
        hide_env_values = true
    )]
    pub github_client_secret: Option<String>,
    #[arg(
        long,
        env = "GITHUB_AUTH_URL",
        value_name = "GITHUB_AUTH_URL",
        default_value = "https://github.com/login/oauth/authorize"
    )]
    pub github_auth_url: url::Url,
    #[arg(
        long,
        env = "GITHUB_TOKEN_URL",
        value_name = "GITHUB_TOKEN_URL",
        default_value = "https://github.com/login/oauth/access_token"
    )]
    pub github_token_url: url::Url,
    /// Base of `/user` and `/user/emails` (GitHub Enterprise: `https://HOST/api/v3`).
    #[arg(
        long,
        env = "GITHUB_API_URL",
        value_name = "GITHUB_API_URL",
        default_value = "https://api.github.com"
    )]
    pub github_api_url: url::Url,
    /// Issuer of a generic OIDC provider (discovery at `/.well-known/openid-configuration`).
    #[arg(long, env = "OIDC_ISSUER_URL", value_name = "OIDC_ISSUER_URL")]
    pub oidc_issuer_url: Option<url::Url>,
    #[arg(long, env = "OIDC_CLIENT_ID", value_name = "OIDC_CLIENT_ID")]
    pub oidc_client_id: Option<String>,
    #[arg(
        long,
        env = "OIDC_CLIENT_SECRET",
        value_name = "OIDC_CLIENT_SECRET",
        hide_env_values = true
    )]
    pub oidc_client_secret: Option<String>,
}

impl Config {
    pub fn is_development(&self) -> bool {
        self.environment == Environment::Development
    }

    /// Whether browsers reach this service over HTTPS (`PUBLIC_URL`), as
    /// behind a TLS-terminating proxy: then its cookies are `Secure` and
    /// `__Host-`-prefixed.
    pub fn serves_https(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    pub fn is_admin_email(&self, email: &str) -> bool {
        self.admin_emails
            .iter()
            .map(|e| e.trim())
            .any(|admin| !admin.is_empty() && admin.eq_ignore_ascii_case(email.trim()))
    }

    /// The role a token for `user` carries: admin when an admin made them one
    /// or when their email is in `ADMIN_EMAILS` (which always grants admin,
    /// whatever the stored role says), else user.
    pub fn role_of(&self, user: &crate::users::User) -> imgup_jwt::Role {
        if user.role == "admin" || self.is_admin_email(&user.email) {
            imgup_jwt::Role::Admin
        } else {
            imgup_jwt::Role::User
        }
    }

    /// Checks what clap cannot; the error names the variable.
    pub fn validate(&self) -> anyhow::Result<()> {
        self.jwt.validate_for_signing()?;
        if self.session_secret.len() < 32 {
            anyhow::bail!(
                "SESSION_SECRET must be at least 32 bytes (it has {})",
                self.session_secret.len()
            );
        }
        Ok(())
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("bind_addr", &self.bind_addr)
            .field("environment", &self.environment)
            .field("public_url", &self.public_url.as_str())
            .field("frontend_url", &self.frontend_url.as_str())
            .field("jwt", &self.jwt)
            .field("rate_limit", &self.rate_limit)
            .finish_non_exhaustive()
    }
}
