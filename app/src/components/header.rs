use super::org_nav::OrgNav;
use leptos::prelude::*;

/// The top bar: brand and the organisation/project navigation.
#[component]
pub fn Header() -> impl IntoView {
    view! {
        <header class="topbar">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true">"GT"</span>
                <span class="brand-name">"GT Keys"</span>
            </a>
            <OrgNav />
        </header>
    }
}
