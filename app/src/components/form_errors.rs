//! The error of a form's server action, as the form shows it: a message next to each of
//! its own fields, and one for the form as a whole (any other error). Every form of the
//! dashboard reads its errors through this, so they all say the same thing the same way.

use crate::AppError;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

/// The last error of one or two server actions, split by the form's fields.
#[derive(Clone, Copy)]
pub struct FormErrors {
    error: Signal<Option<AppError>>,
    fields: &'static [&'static str],
}

impl FormErrors {
    /// The errors of `action`; `fields` are the form's own (their errors show next to
    /// them; anything else shows for the form).
    pub fn of<S>(action: ServerAction<S>, fields: &'static [&'static str]) -> Self
    where
        S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
        S::Output: Clone + Send + Sync + 'static,
    {
        Self {
            error: Signal::derive(move || action.value().get().and_then(Result::err)),
            fields,
        }
    }

    /// The errors of either of two actions of one form (e.g. change a role, or remove):
    /// the first's when it has one.
    pub fn either<S, T>(first: ServerAction<S>, second: ServerAction<T>) -> Self
    where
        S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
        S::Output: Clone + Send + Sync + 'static,
        T: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
        T::Output: Clone + Send + Sync + 'static,
    {
        Self {
            error: Signal::derive(move || {
                first
                    .value()
                    .get()
                    .and_then(Result::err)
                    .or_else(|| second.value().get().and_then(Result::err))
            }),
            fields: &[],
        }
    }

    /// The message for `field`, when the error is about it.
    pub fn field(self, field: &'static str) -> Signal<Option<String>> {
        Signal::derive(move || self.error.get().and_then(|e| e.field_message(field)))
    }

    /// The message for the form as a whole: an error about none of its fields.
    pub fn form(self) -> impl Fn() -> Option<String> + Copy {
        move || self.error.get().and_then(|e| e.form_message(self.fields))
    }
}
