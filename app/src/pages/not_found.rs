use leptos::prelude::*;
use leptos_meta::Title;

/// Shown for unknown paths and for ids that do not exist (or belong to someone else).
/// Answers with HTTP 404 when rendered on the server.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(http::StatusCode::NOT_FOUND);
        }
    }
    view! {
        <Title text="Not found · GT Keys" />
        <section class="empty-state">
            <h1>"Page not found"</h1>
            <p>"There is nothing here, or you do not have access to it."</p>
            <p>
                <a href="/">"Back to organisations"</a>
            </p>
        </section>
    }
}
