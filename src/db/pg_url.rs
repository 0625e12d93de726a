//! `DATABASE_URL` for PostgreSQL, parsed once, here, for every kind of connection the
//! server opens: the sqlx pool, the pipelined key lookups (`pg_read`, tokio-postgres)
//! and the listener for key changes. Each library reads URLs its own way (tokio-postgres
//! rejects `sslrootcert` and `verify-ca`/`verify-full`; sqlx ignores what it does not
//! know), so none of them sees the operator's URL: each gets its settings from
//! [`PgUrl`], and every connection honours the same `sslmode` and `sslrootcert`.
//!
//! A URL with a parameter this server does not understand is refused at start, with
//! a message naming it, rather than half-honoured.

use secrecy::{ExposeSecret, SecretString};
use std::path::PathBuf;
use std::time::Duration;

/// How a connection uses TLS (libpq's `sslmode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr)]
#[strum(serialize_all = "kebab-case")]
pub enum SslMode {
    /// Plaintext.
    Disable,
    /// TLS when the server offers it, without checking its certificate (libpq's default).
    Prefer,
    /// TLS always, without checking the certificate.
    Require,
    /// TLS with a certificate signed by a trusted CA (`sslrootcert`), any host name.
    VerifyCa,
    /// TLS with a trusted certificate for the host name connected to.
    VerifyFull,
}

impl SslMode {
    /// libpq's name.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Whether the server's certificate is checked against trusted roots.
    pub fn verifies(self) -> bool {
        matches!(self, Self::VerifyCa | Self::VerifyFull)
    }
}

/// Why a `DATABASE_URL` was refused. Never holds the password.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PgUrlError {
    /// Not a URL, or not `postgres://`.
    #[error("DATABASE_URL must look like postgres://user:password@host:5432/database")]
    NotPostgres,
    /// No host.
    #[error("DATABASE_URL names no host")]
    NoHost,
    /// A parameter this server does not read.
    #[error(
        "DATABASE_URL has the parameter `{0}`, which GT Keys does not support (it reads \
         sslmode, sslrootcert, application_name, connect_timeout and options)"
    )]
    Unsupported(String),
    /// A parameter with a value it cannot take.
    #[error("DATABASE_URL: `{name}` cannot be `{value}` ({expected})")]
    BadValue {
        /// The parameter.
        name: &'static str,
        /// Its value.
        value: String,
        /// What it may be.
        expected: &'static str,
    },
}

/// The parts of a PostgreSQL URL, as every connection of the server uses them.
#[derive(Clone)]
pub struct PgUrl {
    /// Host name or address (IPv6 without brackets).
    pub host: String,
    /// Port.
    pub port: u16,
    /// User name.
    pub user: String,
    /// Password, if any.
    pub password: Option<SecretString>,
    /// Database name.
    pub database: String,
    /// TLS use.
    pub ssl_mode: SslMode,
    /// PEM file of the CA certificates to trust (for `verify-ca` / `verify-full`).
    pub ssl_root_cert: Option<PathBuf>,
    /// `application_name` of the pool's connections (the others have names of their own).
    pub application_name: String,
    /// How long to wait for a connection to open.
    pub connect_timeout: Option<Duration>,
    /// Server settings sent at connection start (libpq's `options`, e.g.
    /// `-c search_path=tenant`).
    pub options: Option<String>,
}

impl std::fmt::Debug for PgUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Everything but the password.
        f.debug_struct("PgUrl")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("database", &self.database)
            .field("ssl_mode", &self.ssl_mode)
            .field("ssl_root_cert", &self.ssl_root_cert)
            .field("application_name", &self.application_name)
            .finish_non_exhaustive()
    }
}

/// `application_name` of the pool's connections unless the URL names one.
pub const DEFAULT_APPLICATION_NAME: &str = "gtx-keys";

impl PgUrl {
    /// Parses `postgres://` / `postgresql://` URLs.
    pub fn parse(text: &str) -> Result<Self, PgUrlError> {
        let url = url::Url::parse(text).map_err(|_| PgUrlError::NotPostgres)?;
        if !matches!(url.scheme(), "postgres" | "postgresql") {
            return Err(PgUrlError::NotPostgres);
        }
        let host = match url.host() {
            Some(url::Host::Domain(d)) if !d.is_empty() => d.to_owned(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            _ => return Err(PgUrlError::NoHost),
        };
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        let user = match decode(url.username()) {
            u if u.is_empty() => "postgres".to_owned(),
            u => u,
        };
        let password = url.password().map(|p| SecretString::from(decode(p)));
        let database = match decode(url.path().trim_start_matches('/')) {
            d if d.is_empty() => user.clone(),
            d => d,
        };
        let mut parsed = Self {
            host,
            port: url.port().unwrap_or(5432),
            user,
            password,
            database,
            ssl_mode: SslMode::Prefer,
            ssl_root_cert: None,
            application_name: DEFAULT_APPLICATION_NAME.to_owned(),
            connect_timeout: None,
            options: None,
        };
        for (name, value) in url.query_pairs() {
            match &*name {
                "sslmode" => {
                    parsed.ssl_mode =
                        value.parse::<SslMode>().map_err(|_| PgUrlError::BadValue {
                            name: "sslmode",
                            value: value.chars().take(40).collect(),
                            expected: "disable, prefer, require, verify-ca or verify-full",
                        })?;
                }
                "sslrootcert" => parsed.ssl_root_cert = Some(PathBuf::from(&*value)),
                "application_name" => parsed.application_name = value.chars().take(63).collect(),
                "options" => parsed.options = Some(value.into_owned()),
                "connect_timeout" => {
                    let secs: u64 = value.parse().map_err(|_| PgUrlError::BadValue {
                        name: "connect_timeout",
                        value: value.chars().take(40).collect(),
                        expected: "whole seconds",
                    })?;
                    parsed.connect_timeout = (secs > 0).then(|| Duration::from_secs(secs));
                }
                other => {
                    return Err(PgUrlError::Unsupported(other.chars().take(40).collect()));
                }
            }
        }
        Ok(parsed)
    }

    /// The URL sqlx's pool connects with: the same settings, spelled the way sqlx reads
    /// them. Holds the password: never log it.
    pub(crate) fn sqlx_url(&self) -> SecretString {
        let mut url = url::Url::parse("postgres://localhost/").unwrap_or_else(|_| unreachable!());
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let _ = url.set_host(Some(&host));
        let _ = url.set_port(Some(self.port));
        let _ = url.set_username(&self.user);
        if let Some(password) = &self.password {
            let _ = url.set_password(Some(password.expose_secret()));
        }
        if let Ok(mut path) = url.path_segments_mut() {
            path.clear().push(&self.database);
        }
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("sslmode", self.ssl_mode.as_str());
            if let Some(root) = &self.ssl_root_cert {
                query.append_pair("sslrootcert", &root.to_string_lossy());
            }
            query.append_pair("application_name", &self.application_name);
            if let Some(options) = &self.options {
                query.append_pair("options", options);
            }
            // sqlx has no connect timeout of its own: the pool's acquire timeout bounds it.
        }
        SecretString::from(String::from(url))
    }

    /// Connect options for a dedicated sqlx connection (the key-change listener),
    /// named `application_name`: the pool's, read from the same URL.
    pub(crate) fn sqlx_options(
        &self,
        application_name: &str,
    ) -> Result<sqlx::postgres::PgConnectOptions, sqlx::Error> {
        use std::str::FromStr;
        Ok(
            sqlx::postgres::PgConnectOptions::from_str(self.sqlx_url().expose_secret())?
                .application_name(application_name),
        )
    }

    /// The tokio-postgres configuration (TLS itself comes from `pg_tls`), named
    /// `application_name`.
    pub(crate) fn tokio_postgres_config(&self, application_name: &str) -> tokio_postgres::Config {
        use tokio_postgres::config::SslMode as TpSslMode;
        let mut config = tokio_postgres::Config::new();
        config
            .host(&self.host)
            .port(self.port)
            .user(&self.user)
            .dbname(&self.database)
            .application_name(application_name)
            // verify-ca and verify-full are `require` to tokio-postgres: the certificate
            // check is the rustls connector's (see `pg_tls`).
            .ssl_mode(match self.ssl_mode {
                SslMode::Disable => TpSslMode::Disable,
                SslMode::Prefer => TpSslMode::Prefer,
                SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => TpSslMode::Require,
            })
            .connect_timeout(self.connect_timeout.unwrap_or(Duration::from_secs(5)));
        if let Some(password) = &self.password {
            config.password(password.expose_secret());
        }
        if let Some(options) = &self.options {
            config.options(options);
        }
        config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_reads_every_part_and_tls_settings() {
        let url = PgUrl::parse(
            "postgres://gtx:p%40ss%3Aw@db.example.com:6543/gtx%20test?sslmode=verify-full\
             &sslrootcert=/etc/ssl/ca.pem&application_name=blue&connect_timeout=7",
        )
        .unwrap();
        assert_eq!(url.host, "db.example.com");
        assert_eq!(url.port, 6543);
        assert_eq!(url.user, "gtx");
        assert_eq!(url.password.as_ref().unwrap().expose_secret(), "p@ss:w");
        assert_eq!(url.database, "gtx test");
        assert_eq!(url.ssl_mode, SslMode::VerifyFull);
        assert_eq!(
            url.ssl_root_cert.as_deref(),
            Some(std::path::Path::new("/etc/ssl/ca.pem"))
        );
        assert_eq!(url.application_name, "blue");
        assert_eq!(url.connect_timeout, Some(Duration::from_secs(7)));
        // The Debug form never holds the password.
        assert!(!format!("{url:?}").contains("p@ss"));
    }

    #[test]
    fn parse_defaults_like_libpq() {
        let url = PgUrl::parse("postgresql://[::1]/").unwrap();
        assert_eq!(url.host, "::1");
        assert_eq!(url.port, 5432);
        assert_eq!(url.user, "postgres");
        assert_eq!(url.database, "postgres");
        assert_eq!(url.ssl_mode, SslMode::Prefer);
        assert_eq!(url.application_name, DEFAULT_APPLICATION_NAME);
    }

    #[test]
    fn parse_refuses_what_it_cannot_honour() {
        assert_eq!(
            PgUrl::parse("mysql://root@localhost/db").unwrap_err(),
            PgUrlError::NotPostgres
        );
        assert!(matches!(
            PgUrl::parse("postgres://gtx@localhost/db?sslmode=allow").unwrap_err(),
            PgUrlError::BadValue {
                name: "sslmode",
                ..
            }
        ));
        assert_eq!(
            PgUrl::parse("postgres://gtx@localhost/db?statement-cache-capacity=10").unwrap_err(),
            PgUrlError::Unsupported("statement-cache-capacity".into())
        );
        // The error never repeats the password.
        let err = PgUrl::parse("postgres://gtx:hunter2@localhost/db?sslcert=x").unwrap_err();
        assert!(!err.to_string().contains("hunter2"));
    }

    #[test]
    fn sqlx_url_round_trips_through_parse() {
        let url = PgUrl::parse(
            "postgres://g%2Fx:p%40ss@[2001:db8::5]:5433/d%2Fb?sslmode=require&sslrootcert=/tmp/a%20b.pem\
             &options=-c%20search_path%3Dtenant",
        )
        .unwrap();
        let again = PgUrl::parse(url.sqlx_url().expose_secret()).unwrap();
        assert_eq!(again.host, "2001:db8::5");
        assert_eq!(again.port, 5433);
        assert_eq!(again.user, "g/x");
        assert_eq!(again.password.unwrap().expose_secret(), "p@ss");
        assert_eq!(again.database, "d/b");
        assert_eq!(again.ssl_mode, SslMode::Require);
        assert_eq!(again.ssl_root_cert, Some(PathBuf::from("/tmp/a b.pem")));
        assert_eq!(again.options.as_deref(), Some("-c search_path=tenant"));
    }
}
