use super::not_found::NotFound;
use crate::AppError;
use crate::api::session::{CompleteSetup, Visitor, session_state};
use crate::components::field::{Field, NewPasswordField, Submit};
use crate::components::form_errors::FormErrors;
use leptos::prelude::*;
use leptos_meta::Title;

/// First run only: create the organisation and its first admin. Guarded by the one-time
/// setup token printed on the server's console; gone for good once anyone exists.
#[component]
pub fn SetupPage() -> impl IntoView {
    let state = Resource::new(|| (), |_| session_state());
    view! {
        <Title text="Set up GT Keys" />
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                state.get().map(|s| match s {
                    Ok(Visitor::SetupRequired) => view! { <SetupForm /> }.into_any(),
                    Ok(_) | Err(AppError::NotFound) => view! { <NotFound /> }.into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                })
            }}
        </Suspense>
    }
}

#[component]
fn SetupForm() -> impl IntoView {
    let action = ServerAction::<CompleteSetup>::new();
    let errors = FormErrors::of(action, &["setup_token", "org_name", "email", "password"]);
    let field_error = move |field: &'static str| errors.field(field);
    let general_error = errors.form();
    view! {
        <section class="auth-card">
            <h1>"Set up GT Keys"</h1>
            <p class="muted">
                "Create your organisation and its first admin. The setup token is printed on the server's console."
            </p>
            <ActionForm action>
                <Field id="setup_token" label="Setup token" error=field_error("setup_token")>
                    <input id="setup_token" name="setup_token" type="password" autocomplete="off" required />
                </Field>
                <Field id="org_name" label="Organisation name" error=field_error("org_name")>
                    <input id="org_name" name="org_name" type="text" autocomplete="organization" required maxlength="100" />
                </Field>
                <Field id="email" label="Email" error=field_error("email")>
                    <input id="email" name="email" type="email" autocomplete="username" required />
                </Field>
                <NewPasswordField error=field_error("password") />
                <p class="form-error" role="alert">{general_error}</p>
                <Submit pending=action.pending() label="Create organisation" />
            </ActionForm>
        </section>
    }
}
