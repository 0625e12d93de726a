use super::not_found::NotFound;
use crate::AppError;
use crate::api::members::{AcceptInvite, get_invite};
use crate::components::field::{Field, NewPasswordField, Submit};
use crate::components::form_errors::FormErrors;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// Accepting an invite: choose a name and password, join, and sign in.
#[component]
pub fn InvitePage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let invite = Resource::new(token, get_invite);
    view! {
        <Title text="Join · GT Keys" />
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                invite.get().map(|r| match r {
                    Ok(info) => view! { <AcceptForm token=token() org_name=info.org_name email=info.email /> }.into_any(),
                    Err(AppError::NotFound) => view! {
                        <section class="auth-card">
                            <h1>"This invite link does not work"</h1>
                            <p>"It was used already, withdrawn, or it expired. Ask an admin for a new one."</p>
                        </section>
                    }.into_any(),
                    Err(_) => view! { <NotFound /> }.into_any(),
                })
            }}
        </Suspense>
    }
}

#[component]
fn AcceptForm(token: String, org_name: String, email: String) -> impl IntoView {
    let action = ServerAction::<AcceptInvite>::new();
    let errors = FormErrors::of(action, &["name", "password"]);
    let field_error = move |field: &'static str| errors.field(field);
    let general_error = errors.form();
    view! {
        <section class="auth-card">
            <h1>{format!("Join {org_name}")}</h1>
            <p class="muted">{format!("You were invited as {email}. Choose your name and a password.")}</p>
            <ActionForm action>
                <input type="hidden" name="token" value=token />
                <Field id="name" label="Name" error=field_error("name")>
                    <input id="name" name="name" type="text" autocomplete="name" required maxlength="100" />
                </Field>
                <NewPasswordField error=field_error("password") />
                <p class="form-error" role="alert">{general_error}</p>
                <Submit pending=action.pending() label="Join organisation" />
            </ActionForm>
        </section>
    }
}
