//! Who is signed in, and (server side) passwords and sessions.

use serde::{Deserialize, Serialize};

use crate::domain::Role;

#[cfg(feature = "ssr")]
mod guard;
#[cfg(feature = "ssr")]
pub mod password;
#[cfg(feature = "ssr")]
pub mod session;
#[cfg(feature = "ssr")]
pub use guard::*;

/// The signed-in user, as pages and server functions see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub organisation_id: Option<i64>,
    pub organisation_name: Option<String>,
    pub roles: Vec<Role>,
    /// The user has set up a second factor.
    #[serde(default)]
    pub second_factor_enrolled: bool,
    /// This session was signed in with the second factor (not with the password alone).
    #[serde(default)]
    pub second_factor_passed: bool,
}

impl CurrentUser {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Programme staff and programme admins work the staff pages.
    pub fn is_staff(&self) -> bool {
        self.has_role(Role::ProgrammeStaff) || self.has_role(Role::ProgrammeAdmin)
    }

    pub fn is_admin(&self) -> bool {
        self.has_role(Role::ProgrammeAdmin)
    }

    /// Programme staff and admins must sign in with a second factor; until they have set one
    /// up, signing in with the password reaches only the page that sets it up.
    pub fn must_set_up_second_factor(&self) -> bool {
        self.is_staff() && !self.second_factor_passed
    }

    /// Where this user starts after signing in.
    pub fn home_path(&self) -> &'static str {
        if self.is_admin() {
            "/admin/organisations"
        } else if self.is_staff() {
            "/staff"
        } else {
            "/organisation"
        }
    }
}

/// A path to return to after signing in: only same-site absolute paths, never `//host` or a
/// scheme, so the sign-in page cannot be used to send people elsewhere.
pub fn safe_next_path(raw: Option<&str>) -> Option<String> {
    let path = raw?.trim();
    let ok = path.starts_with('/')
        && !path.starts_with("//")
        && !path.starts_with("/\\")
        && path.len() <= 512
        && !path.chars().any(|c| c.is_control() || c == '\\');
    ok.then(|| path.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_same_site_paths_are_followed_after_sign_in() {
        assert_eq!(
            safe_next_path(Some("/staff?page=2")).as_deref(),
            Some("/staff?page=2")
        );
        for bad in [
            "https://evil.example/",
            "//evil.example",
            "/\\evil.example",
            "javascript:alert(1)",
            "staff",
            "/a\nb",
        ] {
            assert_eq!(safe_next_path(Some(bad)), None, "{bad:?}");
        }
        assert_eq!(safe_next_path(None), None);
    }

    #[test]
    fn each_kind_of_user_has_a_home() {
        let mut user = CurrentUser {
            id: 1,
            name: "A".into(),
            email: "a@example.org".into(),
            organisation_id: Some(1),
            organisation_name: Some("Org".into()),
            roles: vec![Role::ServiceManager],
            second_factor_enrolled: false,
            second_factor_passed: false,
        };
        assert_eq!(user.home_path(), "/organisation");
        user.roles = vec![Role::ProgrammeStaff];
        assert_eq!(user.home_path(), "/staff");
        user.roles = vec![Role::ProgrammeAdmin];
        assert_eq!(user.home_path(), "/admin/organisations");
    }
}
