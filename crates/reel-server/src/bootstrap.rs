//! First start and automation settings: an empty data dir gets an organization, a project and
//! an admin; `api_key`, `admin_email`+`admin_password` and `admin_token` from the
//! configuration are applied on every start.

use reel_engine::store::{NewInstallation, NewToken, TokenOrigin};

use crate::{AppState, StartError, auth};

#[derive(Debug, Clone)]
pub struct BootstrapReport {
    /// True when this start created the installation.
    pub created: bool,
    pub project_name: String,
    pub api_key: String,
    pub admin_email: String,
    /// Only when this start chose the password (first start without a configured one).
    pub generated_password: Option<String>,
}

pub const DEFAULT_ADMIN_EMAIL: &str = "admin@reel.local";

pub async fn run(state: &AppState) -> Result<BootstrapReport, StartError> {
    let config = &state.config;
    if config.admin_email.is_some() != config.admin_password.is_some() {
        return Err(StartError::Config(
            "set both REEL_ADMIN_EMAIL and REEL_ADMIN_PASSWORD, or neither".into(),
        ));
    }
    let mut generated_password = None;
    let mut created = false;
    if state.store().is_empty().await? {
        let password = match &config.admin_password {
            Some(p) => p.clone(),
            None => {
                let p = auth::new_token()[..16].to_owned();
                generated_password = Some(p.clone());
                p
            }
        };
        let api_key = config.api_key.clone().unwrap_or_else(new_api_key);
        created = state
            .store()
            .create_installation(
                NewInstallation {
                    organization_name: "My organization".into(),
                    project_name: if config.demo {
                        "Demo shop".into()
                    } else {
                        "My project".into()
                    },
                    api_key,
                    admin_email: config
                        .admin_email
                        .clone()
                        .unwrap_or_else(|| DEFAULT_ADMIN_EMAIL.into()),
                    admin_password_hash: auth::hash_password(&password),
                },
                state.now_ms(),
            )
            .await?
            // None: another node sharing the database made it meanwhile; this one joins it.
            .is_some();
        if !created {
            generated_password = None;
        }
    }
    let mut project = state
        .store()
        .first_project()
        .await?
        .expect("an installation has a project");
    if let Some(key) = &config.api_key
        && *key != project.api_key
    {
        state.store().set_project_api_key(project.id, key).await?;
        project.api_key = key.clone();
    }
    let mut admin_email = config
        .admin_email
        .clone()
        .unwrap_or_else(|| DEFAULT_ADMIN_EMAIL.into());
    if let (Some(email), Some(password), false) =
        (&config.admin_email, &config.admin_password, created)
    {
        match state.store().user_for_login(email).await? {
            Some(account) => {
                let (user, hash) = (account.user, account.password_hash);
                // Re-hashing on every start would change nothing but the salt; only a real
                // change replaces the hash (and signs the user out everywhere).
                let (candidate, hash) = (password.clone(), hash.clone());
                let same =
                    tokio::task::spawn_blocking(move || auth::verify_password(&candidate, &hash))
                        .await
                        .map_err(|e| StartError::Config(e.to_string()))?;
                if !same {
                    state
                        .store()
                        .set_password(user.id, &auth::hash_password(password), None)
                        .await?;
                    tracing::info!(email = %user.email, "admin password changed; browser sessions revoked");
                }
            }
            None => {
                state
                    .store()
                    .upsert_admin(email, &auth::hash_password(password), state.now_ms())
                    .await?;
            }
        }
    }
    let config_token = match &config.admin_token {
        None => None,
        Some(token) => {
            let user = match state.store().user_for_login(&admin_email).await? {
                Some(account) => account.user,
                None => {
                    return Err(StartError::Config(format!(
                        "REEL_ADMIN_TOKEN needs an admin; {admin_email} does not exist (set REEL_ADMIN_EMAIL)"
                    )));
                }
            };
            admin_email = user.email.clone();
            Some(NewToken {
                user_id: user.id,
                token_hash: auth::token_hash(token),
                origin: TokenOrigin::Config,
                name: Some("REEL_ADMIN_TOKEN".into()),
                expires_ms: None,
            })
        }
    };
    // A token that is no longer configured stops working.
    state
        .store()
        .set_config_token(config_token, state.now_ms())
        .await?;
    Ok(BootstrapReport {
        created,
        project_name: project.name,
        api_key: project.api_key,
        admin_email,
        generated_password,
    })
}

/// A new ingestion key.
pub fn new_api_key() -> String {
    // 128 bits, hex: easy to paste into a snippet.
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
