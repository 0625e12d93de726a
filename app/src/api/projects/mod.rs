//! Projects: create (admins), read and update settings (admins and project members).

mod add_project_member;
mod create_project;
mod get_project;
mod remove_project_member;
mod update_project;

pub use add_project_member::{AddProjectMember, add_project_member};
pub use create_project::{CreateProject, create_project};
pub use get_project::{GetProject, get_project};
pub use remove_project_member::{RemoveProjectMember, remove_project_member};
pub use update_project::{UpdateProject, update_project};
