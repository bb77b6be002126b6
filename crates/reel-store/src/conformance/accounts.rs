//! [`AccountStore`]: installation, projects and their keys, logins, tokens.

use crate::{AccountStore, NewInstallation, NewToken, ProjectChanges, TokenOrigin};

use super::T0;

fn token(user_id: i64, hash: &str, origin: TokenOrigin, expires_ms: Option<i64>) -> NewToken {
    NewToken {
        user_id,
        token_hash: hash.into(),
        origin,
        name: Some(format!("{hash} token")),
        expires_ms,
    }
}

/// Every [`AccountStore`] method, from an empty store.
pub async fn accounts(store: &dyn AccountStore) {
    assert!(store.is_empty().await.unwrap(), "a new store is empty");
    assert!(store.first_project().await.unwrap().is_none());
    let (project, admin) = store
        .create_installation(
            NewInstallation {
                organization_name: "Acme".into(),
                project_name: "Shop".into(),
                api_key: "key-1".into(),
                admin_email: "Admin@Example.com".into(),
                admin_password_hash: "hash-1".into(),
            },
            T0,
        )
        .await
        .unwrap()
        .expect("an empty store makes the installation");
    assert!(!store.is_empty().await.unwrap());
    // A second node's attempt finds it made: nothing changes.
    let again = NewInstallation {
        organization_name: "Other".into(),
        project_name: "Other".into(),
        api_key: "key-other".into(),
        admin_email: "other@example.com".into(),
        admin_password_hash: "hash-x".into(),
    };
    assert!(
        store
            .create_installation(again, T0)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .user_for_login("other@example.com")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(project.name, "Shop");
    assert_eq!(project.timezone, "UTC");
    assert_eq!(project.retention_days, 30, "new projects keep 30 days");
    assert_eq!(
        (project.events_per_second, project.bytes_per_second),
        (None, None)
    );
    assert_eq!(store.first_project().await.unwrap(), Some(project.clone()));
    assert_eq!(
        store.project(project.id).await.unwrap(),
        Some(project.clone())
    );
    assert_eq!(store.project(project.id + 1000).await.unwrap(), None);

    // Logins find the account whatever the case of the email.
    let login = store
        .user_for_login("admin@example.COM")
        .await
        .unwrap()
        .expect("the admin signs in with any case");
    assert_eq!(login.user, admin);
    assert_eq!(login.password_hash, "hash-1");
    assert!(!login.disabled);
    assert_eq!(login.organization_id, project.organization_id);
    assert!(
        store
            .user_for_login("nobody@example.com")
            .await
            .unwrap()
            .is_none()
    );

    // The configured admin: same account, new password; a new email is a new admin.
    let again = store
        .upsert_admin("admin@example.com", "hash-2", T0 + 1)
        .await
        .unwrap();
    assert_eq!(again.id, admin.id, "upsert_admin keeps the account");
    let login = store
        .user_for_login("Admin@Example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(login.password_hash, "hash-2");
    let second = store
        .upsert_admin("ops@example.com", "hash-3", T0)
        .await
        .unwrap();
    assert_ne!(second.id, admin.id);

    // Organization and quota.
    let org = store
        .organization(project.organization_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (org.name.as_str(), org.monthly_session_quota),
        ("Acme", None)
    );
    store
        .set_monthly_session_quota(org.id, Some(5_000))
        .await
        .unwrap();
    let org = store.organization(org.id).await.unwrap().unwrap();
    assert_eq!(org.monthly_session_quota, Some(5_000));

    // Projects: a second one, changes, listing.
    let other = store
        .create_project(org.id, "Blog", "key-2", T0 + 2)
        .await
        .unwrap();
    assert_eq!(other.organization_id, org.id);
    assert_eq!(other.api_key, "key-2");
    let changed = store
        .update_project(
            other.id,
            ProjectChanges {
                timezone: Some("Europe/Paris".into()),
                retention_days: Some(90),
                events_per_second: Some(Some(100)),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(changed.timezone, "Europe/Paris");
    assert_eq!(changed.name, "Blog", "what a change leaves out stays");
    assert_eq!(changed.retention_days, 90);
    assert_eq!(changed.events_per_second, Some(100));
    let changed = store
        .update_project(
            other.id,
            ProjectChanges {
                events_per_second: Some(None),
                bytes_per_second: Some(Some(4096)),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        changed.events_per_second, None,
        "Some(None) goes back to the default"
    );
    assert_eq!(changed.bytes_per_second, Some(4096));
    assert_eq!(changed.timezone, "Europe/Paris");
    assert!(
        store
            .update_project(other.id + 1000, ProjectChanges::default())
            .await
            .unwrap()
            .is_none()
    );
    let ids: Vec<i64> = store
        .projects()
        .await
        .unwrap()
        .iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(ids, vec![project.id, other.id]);

    // Keys: a rotation keeps the old key until its overlap ends; setting one stops the old.
    assert_eq!(
        store
            .project_by_api_key("key-1", T0)
            .await
            .unwrap()
            .map(|p| p.id),
        Some(project.id)
    );
    store
        .rotate_api_key(project.id, "key-1b", T0 + 60_000)
        .await
        .unwrap();
    let by = |key: &'static str, at: i64| async move {
        store
            .project_by_api_key(key, at)
            .await
            .unwrap()
            .map(|p| p.id)
    };
    assert_eq!(by("key-1b", T0).await, Some(project.id));
    assert_eq!(
        by("key-1", T0 + 59_999).await,
        Some(project.id),
        "old key in its overlap"
    );
    assert_eq!(
        by("key-1", T0 + 60_000).await,
        None,
        "old key after its overlap"
    );
    let retired = store.retired_keys(project.id, T0).await.unwrap();
    assert_eq!(retired.len(), 1);
    assert_eq!(
        (retired[0].api_key.as_str(), retired[0].until_ms),
        ("key-1", T0 + 60_000)
    );
    assert!(
        store
            .retired_keys(project.id, T0 + 60_000)
            .await
            .unwrap()
            .is_empty()
    );
    store
        .set_project_api_key(project.id, "key-1")
        .await
        .unwrap();
    assert_eq!(
        by("key-1", T0 + 120_000).await,
        Some(project.id),
        "a set key is current"
    );
    assert_eq!(
        by("key-1b", T0).await,
        None,
        "setting a key stops the one before"
    );
    assert!(store.retired_keys(project.id, T0).await.unwrap().is_empty());

    // What the admin sees: every project, as admin.
    let ctx = store.user_context(admin.id).await.unwrap().unwrap();
    assert!(ctx.organization_admin);
    assert_eq!(ctx.organization.id, org.id);
    let seen: Vec<(i64, &str)> = ctx
        .projects
        .iter()
        .map(|a| (a.project.id, a.role.as_str()))
        .collect();
    assert_eq!(seen, vec![(project.id, "admin"), (other.id, "admin")]);
    assert!(store.user_context(admin.id + 1000).await.unwrap().is_none());

    // Tokens: stored by hash, expiring, touched, listed newest first, revoked by their owner.
    let login_a = store
        .put_token(
            token(
                admin.id,
                "login-a",
                TokenOrigin::Login,
                Some(T0 + 3_600_000),
            ),
            T0,
        )
        .await
        .unwrap();
    let login_b = store
        .put_token(
            token(
                admin.id,
                "login-b",
                TokenOrigin::Login,
                Some(T0 + 3_600_000),
            ),
            T0 + 1,
        )
        .await
        .unwrap();
    let api = store
        .put_token(token(admin.id, "api-1", TokenOrigin::Created, None), T0 + 2)
        .await
        .unwrap();
    assert_eq!(api.origin, TokenOrigin::Created);
    assert_eq!(api.name.as_deref(), Some("api-1 token"));
    let (user, info) = store.token_user("login-a", T0).await.unwrap().unwrap();
    assert_eq!((user.id, info.id), (admin.id, login_a.id));
    assert!(
        store
            .token_user("login-a", T0 + 3_600_000)
            .await
            .unwrap()
            .is_none(),
        "expired"
    );
    assert!(store.token_user("nope", T0).await.unwrap().is_none());
    store.touch_token(api.id, T0 + 5).await.unwrap();
    let listed: Vec<(i64, Option<i64>)> = store
        .tokens_of(admin.id, T0)
        .await
        .unwrap()
        .iter()
        .map(|t| (t.id, t.last_used_ms))
        .collect();
    assert_eq!(
        listed,
        vec![
            (api.id, Some(T0 + 5)),
            (login_b.id, None),
            (login_a.id, None)
        ],
        "newest first, with the last use"
    );
    assert!(
        !store.revoke_token(second.id, api.id).await.unwrap(),
        "not their token"
    );
    assert!(store.revoke_token(admin.id, api.id).await.unwrap());
    assert!(store.token_user("api-1", T0).await.unwrap().is_none());

    // Sign out everywhere but here; a new password does the same.
    assert_eq!(
        store
            .revoke_browser_sessions(admin.id, Some(login_b.id))
            .await
            .unwrap(),
        1
    );
    assert!(store.token_user("login-a", T0).await.unwrap().is_none());
    assert!(store.token_user("login-b", T0).await.unwrap().is_some());
    let login_c = store
        .put_token(token(admin.id, "login-c", TokenOrigin::Login, None), T0 + 3)
        .await
        .unwrap();
    store
        .set_password(admin.id, "hash-4", Some(login_c.id))
        .await
        .unwrap();
    assert!(store.token_user("login-b", T0).await.unwrap().is_none());
    assert!(store.token_user("login-c", T0).await.unwrap().is_some());
    let login = store
        .user_for_login("admin@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(login.password_hash, "hash-4");
    store.delete_token("login-c").await.unwrap();
    assert!(store.token_user("login-c", T0).await.unwrap().is_none());

    // The configured token: one at a time, kept when the same, gone when unset.
    store
        .set_config_token(
            Some(token(admin.id, "cfg-1", TokenOrigin::Config, None)),
            T0,
        )
        .await
        .unwrap();
    let first = store.token_user("cfg-1", T0).await.unwrap().unwrap().1;
    store
        .set_config_token(
            Some(token(admin.id, "cfg-1", TokenOrigin::Config, None)),
            T0 + 9,
        )
        .await
        .unwrap();
    let kept = store.token_user("cfg-1", T0).await.unwrap().unwrap().1;
    assert_eq!(
        (kept.id, kept.created_ms),
        (first.id, T0),
        "the same token is kept"
    );
    store
        .set_config_token(
            Some(token(second.id, "cfg-2", TokenOrigin::Config, None)),
            T0,
        )
        .await
        .unwrap();
    assert!(store.token_user("cfg-1", T0).await.unwrap().is_none());
    assert_eq!(
        store.token_user("cfg-2", T0).await.unwrap().unwrap().0.id,
        second.id
    );
    store.set_config_token(None, T0).await.unwrap();
    assert!(store.token_user("cfg-2", T0).await.unwrap().is_none());
}
