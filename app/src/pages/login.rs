use crate::api::session::{SignIn, Visitor, session_state};
use crate::components::field::{Field, Submit};
use crate::components::form_errors::FormErrors;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

/// Sign-in: email and password. Works as a plain form post without JavaScript.
#[component]
pub fn LoginPage() -> impl IntoView {
    let state = Resource::new(|| (), |_| session_state());
    let action = ServerAction::<SignIn>::new();
    let error = FormErrors::of(action, &[]).form();
    view! {
        <Title text="Sign in · GT Keys" />
        <Suspense>
            {move || match state.get() {
                Some(Ok(Visitor::SetupRequired)) => view! { <Redirect path="/setup" /> }.into_any(),
                Some(Ok(Visitor::SignedIn(_))) => view! { <Redirect path="/" /> }.into_any(),
                _ => ().into_any(),
            }}
        </Suspense>
        <section class="auth-card">
            <h1>"Sign in to GT Keys"</h1>
            <ActionForm action>
                <Field id="email" label="Email">
                    <input id="email" name="email" type="email" autocomplete="username" required />
                </Field>
                <Field id="password" label="Password">
                    <input id="password" name="password" type="password" autocomplete="current-password" required />
                </Field>
                <p class="form-error" role="alert" aria-live="polite">{error}</p>
                <Submit pending=action.pending() label="Sign in" />
            </ActionForm>
        </section>
    }
}
