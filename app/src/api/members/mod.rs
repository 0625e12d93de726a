//! Members and invites (admins), and accepting an invite (anyone holding the link).

mod accept_invite;
mod get_invite;
mod invite_member;
mod list_members;
mod remove_member;
mod set_member_role;
mod take_invite_reveal;
mod withdraw_invite;

pub use accept_invite::{AcceptInvite, accept_invite};
pub use get_invite::{GetInvite, get_invite};
pub use invite_member::{InviteMember, invite_member};
pub use list_members::{ListMembers, list_members};
pub use remove_member::{RemoveMember, remove_member};
pub use set_member_role::{SetMemberRole, set_member_role};
pub use take_invite_reveal::{TakeInviteReveal, take_invite_reveal};
pub use withdraw_invite::{WithdrawInvite, withdraw_invite};
