//! Operator commands. Only the requested value goes to stdout; messages go to stderr.
//! Exit codes: 0 done, 1 failed (not found, conflict, storage), 2 usage error (bad
//! arguments, including values the services reject as invalid).

use crate::boot;
use crate::config::{
    GlobalArgs, KeyCommand, KeyEnv, OrgCommand, ProjectCommand, RoleArg, UserCommand,
};
use gtx_core::domain::duration::parse_duration_ms;
use gtx_core::domain::key_list::KeyListQuery;
use gtx_core::domain::usage::UsageRange;
use gtx_core::domain::{KeyId, KeyType, OrgId, PermissionSet, ProjectId, Role};
use gtx_core::error::CoreError;
use gtx_core::services::{
    Actor, KeyListScope, KeyScope, LeakOutcome, LeakReport, NewKey, Services,
};
mod output;

use output::{key_json, print_key_table, print_usage, usage_json};
use secrecy::{ExposeSecret, SecretString};
use std::io::Write;
use std::process::ExitCode;

/// A command's failure, with the exit code it deserves.
#[derive(Debug)]
pub(super) enum Failure {
    Usage(String),
    Failed(String),
}

impl From<CoreError> for Failure {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::Invalid(f) => {
                Failure::Usage(format!("--{}: {}", f.field.replace('_', "-"), f.message()))
            }
            CoreError::Db(ref inner) => {
                tracing::error!(error = ?inner, "storage error");
                Failure::Failed(e.to_string())
            }
            other => Failure::Failed(other.to_string()),
        }
    }
}

impl From<boot::BootError> for Failure {
    fn from(e: boot::BootError) -> Self {
        Failure::Failed(e.to_string())
    }
}

/// Runs one operator command.
pub async fn run(args: &GlobalArgs, command: crate::config::Command) -> ExitCode {
    let result = match boot::services(args).await {
        Ok(services) => {
            let r = dispatch(&services, command).await;
            services.db().close().await;
            r
        }
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
        Err(Failure::Failed(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(services: &Services, command: crate::config::Command) -> Result<(), Failure> {
    use crate::config::Command;
    let actor = Actor::operator();
    match command {
        Command::Serve => Err(Failure::Usage("serve is not an operator command".into())),
        Command::Org(command) => org_command(services, &actor, command).await,
        Command::Project(command) => project_command(services, &actor, command).await,
        Command::Key(command) => key_command(services, &actor, command).await,
        Command::User(command) => user_command(services, &actor, command).await,
        Command::Webhook(command) => webhook_command(services, &actor, command).await,
    }
}

async fn set_webhook_enabled(
    services: &Services,
    actor: &Actor,
    org_id: String,
    endpoint_id: String,
    enabled: bool,
) -> Result<(), Failure> {
    services
        .set_webhook_enabled(actor, &OrgId(org_id), &endpoint_id, enabled)
        .await?;
    let state = if enabled { "enabled" } else { "disabled" };
    eprintln!("Endpoint {endpoint_id} {state}.");
    Ok(())
}

async fn webhook_command(
    services: &Services,
    actor: &Actor,
    command: crate::config::WebhookCommand,
) -> Result<(), Failure> {
    use crate::config::WebhookCommand;
    match command {
        WebhookCommand::Add {
            org_id,
            url,
            events,
        } => {
            let added = services
                .add_webhook(actor, &OrgId(org_id), &url, &events)
                .await?;
            out(added.secret.expose_secret())?;
            eprintln!(
                "Added endpoint {} for {}. Save the signing secret above: it is not shown again.",
                added.endpoint.id,
                if added.endpoint.events.is_empty() {
                    "every event".to_owned()
                } else {
                    added.endpoint.events.join(", ")
                }
            );
            Ok(())
        }
        WebhookCommand::Test {
            org_id,
            endpoint_id,
        } => {
            services
                .send_test_webhook(actor, &OrgId(org_id), &endpoint_id)
                .await?;
            eprintln!("Test event queued for endpoint {endpoint_id}.");
            Ok(())
        }
        WebhookCommand::Disable {
            org_id,
            endpoint_id,
        } => set_webhook_enabled(services, actor, org_id, endpoint_id, false).await,
        WebhookCommand::Enable {
            org_id,
            endpoint_id,
        } => set_webhook_enabled(services, actor, org_id, endpoint_id, true).await,
        WebhookCommand::Remove {
            org_id,
            endpoint_id,
        } => {
            services
                .remove_webhook(actor, &OrgId(org_id), &endpoint_id)
                .await?;
            eprintln!("Endpoint {endpoint_id} removed.");
            Ok(())
        }
        WebhookCommand::List { org_id, json } => {
            let endpoints = services.list_webhooks(actor, &OrgId(org_id)).await?;
            if json {
                let rows: Vec<serde_json::Value> = endpoints
                    .iter()
                    .map(|e| {
                        serde_json::json!({
                            "id": e.id,
                            "url": e.url,
                            "events": e.events,
                            "enabled": e.enabled,
                            "created_at": e.created_at,
                        })
                    })
                    .collect();
                return out(&serde_json::Value::from(rows).to_string());
            }
            for e in &endpoints {
                let events = if e.events.is_empty() {
                    "every event".to_owned()
                } else {
                    e.events.join(",")
                };
                let state = if e.enabled { "enabled" } else { "disabled" };
                out(&format!("{}\t{}\t{}\t{}", e.id, e.url, events, state))?;
            }
            Ok(())
        }
    }
}

async fn org_command(
    services: &Services,
    actor: &Actor,
    command: OrgCommand,
) -> Result<(), Failure> {
    match command {
        OrgCommand::Create { name } => {
            let org = services.create_org(actor, &name).await?;
            eprintln!("Created organisation “{}”.", org.name);
            out(&org.id.0)
        }
        OrgCommand::List => {
            for org in services.list_orgs(actor).await? {
                out(&format!("{}\t{}", org.id, org.name))?;
            }
            Ok(())
        }
    }
}

async fn project_command(
    services: &Services,
    actor: &Actor,
    command: ProjectCommand,
) -> Result<(), Failure> {
    match command {
        ProjectCommand::Create {
            org_id,
            name,
            default_locale,
        } => {
            let project = services
                .create_project(actor, &OrgId(org_id), &name, Some(&default_locale))
                .await?;
            eprintln!("Created project “{}”.", project.name);
            out(&project.id.0)
        }
        ProjectCommand::List { org_id } => {
            for p in services.list_projects(actor, &OrgId(org_id)).await? {
                out(&format!("{}\t{}\t{}", p.id, p.name, p.default_locale))?;
            }
            Ok(())
        }
        ProjectCommand::AddMember { project_id, email } => {
            let project = services.find_project(actor, &ProjectId(project_id)).await?;
            services
                .add_project_member(actor, &project.org_id, &project.id, &email)
                .await?;
            eprintln!("Added {email} to project “{}”.", project.name);
            Ok(())
        }
    }
}

async fn key_command(
    services: &Services,
    actor: &Actor,
    command: KeyCommand,
) -> Result<(), Failure> {
    match command {
        KeyCommand::Create {
            project_id,
            org_id,
            env,
            name,
            permissions,
            expires_in,
            description,
        } => {
            let expires_at = match expires_in {
                Some(text) => {
                    let ms = parse_duration_ms("expires_in", &text)
                        .map_err(|e| Failure::Usage(format!("--expires-in: {}", e.message())))?;
                    Some(services.now() + ms)
                }
                None => None,
            };
            let scope = key_scope(project_id, org_id, env, &permissions)?;
            let new = NewKey {
                scope,
                name,
                expires_at,
                description,
            };
            let created = services.create_key(actor, new).await?;
            eprintln!(
                "Created {} key “{}” ({}). It is shown once: store it now.",
                created.record.key_type.label().to_lowercase(),
                created.record.name,
                created.record.id
            );
            out(created.key.expose())
        }
        KeyCommand::List {
            project_id,
            org_id,
            json,
        } => {
            let scope = match (project_id, org_id) {
                (Some(p), None) => KeyListScope::Project(ProjectId(p)),
                (None, Some(o)) => KeyListScope::Organisation(OrgId(o)),
                _ => return Err(Failure::Usage("give either --project or --org".into())),
            };
            let keys = services
                .list_keys(actor, &scope, &KeyListQuery::all())
                .await?
                .rows;
            let now = services.now();
            if json {
                let rows: Vec<_> = keys.iter().map(|k| key_json(k, now)).collect();
                let text = serde_json::to_string_pretty(&rows)
                    .map_err(|e| Failure::Failed(e.to_string()))?;
                out(&text)
            } else {
                print_key_table(&keys, now)
            }
        }
        KeyCommand::Revoke { key_id } => {
            let key = services.revoke_key(actor, &KeyId(key_id)).await?;
            eprintln!("Revoked key “{}” ({}).", key.name, key.hint);
            Ok(())
        }
        KeyCommand::ReportLeak { url, source } => {
            let report = LeakReport::validated(Some(&url), source.as_deref())
                .map_err(|e| Failure::Usage(format!("--{}: {}", e.field, e.message())))?;
            let key = read_secret_line(
                "the key",
                "printf %s \"$KEY\" | gtx-keys key report-leak --url …",
            )?;
            let reporter = Actor::leak_report("operator CLI", None, None);
            let outcome = services
                .report_leak(&reporter, key.expose_secret(), &report)
                .await?;
            eprintln!(
                "{}",
                match outcome {
                    LeakOutcome::Revoked =>
                        "Revoked: the key was live and is now revoked, audited as reported leaked.",
                    LeakOutcome::AlreadyRevoked => "Already revoked: nothing changed.",
                    LeakOutcome::Unknown => "Not a key of this server: nothing changed.",
                    LeakOutcome::Malformed =>
                        "Not a GT key (wrong prefix, length or checksum): nothing changed.",
                }
            );
            Ok(())
        }
        KeyCommand::Usage {
            key_id,
            since,
            json,
        } => {
            let range = UsageRange::parse(&since)
                .ok_or_else(|| Failure::Usage("--since: use 24h, 7d or 30d".into()))?;
            let detail = services.key_detail(actor, &KeyId(key_id), range).await?;
            if json {
                out(&usage_json(&detail))
            } else {
                print_usage(&detail)
            }
        }
        KeyCommand::Disable { key_id } => {
            let key = services.disable_key(actor, &KeyId(key_id)).await?;
            eprintln!("Disabled key “{}” ({}).", key.name, key.hint);
            Ok(())
        }
        KeyCommand::Enable { key_id } => {
            let key = services.enable_key(actor, &KeyId(key_id)).await?;
            eprintln!("Enabled key “{}” ({}).", key.name, key.hint);
            Ok(())
        }
    }
}

/// A project key (`--project` with `--env`) or an organisation key (`--org` with its
/// `--permission`s).
fn key_scope(
    project_id: Option<String>,
    org_id: Option<String>,
    env: Option<KeyEnv>,
    permissions: &[String],
) -> Result<KeyScope, Failure> {
    match (project_id, org_id, env) {
        (Some(project_id), None, Some(env)) => Ok(KeyScope::Project {
            project_id: ProjectId(project_id),
            key_type: match env {
                KeyEnv::Production => KeyType::Production,
                KeyEnv::Development => KeyType::Development,
            },
        }),
        (None, Some(org_id), None) => {
            let permissions = PermissionSet::parse_all(permissions)
                .map_err(|e| Failure::Usage(format!("--permission: {e}")))?;
            Ok(KeyScope::Organisation {
                org_id: OrgId(org_id),
                permissions,
            })
        }
        // clap's argument groups rule the other combinations out.
        _ => Err(Failure::Usage(
            "give --project with --env, or --org with --permission".into(),
        )),
    }
}

async fn user_command(
    services: &Services,
    actor: &Actor,
    command: UserCommand,
) -> Result<(), Failure> {
    match command {
        UserCommand::Create {
            org_id,
            email,
            role,
            name,
        } => {
            let password = read_password()?;
            let role = match role {
                RoleArg::Admin => Role::Admin,
                RoleArg::Member => Role::Member,
            };
            let user = services
                .create_user(
                    actor,
                    &OrgId(org_id),
                    &email,
                    name.as_deref(),
                    role,
                    &password,
                )
                .await?;
            eprintln!("Created {} {}.", role.label().to_lowercase(), user.email);
            out(user.id.as_str())
        }
        UserCommand::ResetPassword { email } => {
            let password = read_password()?;
            let user = services.reset_password(actor, &email, &password).await?;
            eprintln!("Password of {} set; their sessions have ended.", user.email);
            Ok(())
        }
    }
}

/// Reads a password from stdin: the first line, without its line ending. From a
/// terminal the input is echoed; pipe it in from a secret store instead.
fn read_password() -> Result<SecretString, Failure> {
    read_secret_line("the password", "printf %s \"$PASSWORD\" | gtx-keys user …")
}

/// Reads a secret (`what`) from stdin: the first line, without its line ending;
/// `example` shows how to pipe it in.
fn read_secret_line(what: &str, example: &str) -> Result<SecretString, Failure> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| Failure::Failed(format!("cannot read {what} from stdin: {e}")))?;
    let secret = line.trim_end_matches(['\n', '\r']).to_owned();
    if secret.is_empty() {
        return Err(Failure::Usage(format!(
            "give {what} on stdin, e.g. `{example}`"
        )));
    }
    Ok(SecretString::from(secret))
}

/// Writes one value to stdout. A closed pipe is a failure, not a panic.
pub(super) fn out(text: &str) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{text}")
        .and_then(|()| stdout.flush())
        .map_err(|e| Failure::Failed(format!("cannot write to stdout: {e}")))
}
