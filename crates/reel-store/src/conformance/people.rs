//! [`PeopleStore`]: accounts of an organization, roles per project, organization admins,
//! disabled accounts, invitations.

use crate::{
    Accepted, AccountStore, NewInvite, NewPerson, NewToken, PeopleStore, TokenOrigin, User,
};

use super::{T0, install};

fn person(organization_id: i64, email: &str, role: Option<(i64, &str)>) -> NewPerson {
    NewPerson {
        organization_id,
        email: email.into(),
        password_hash: format!("hash of {email}"),
        project_role: role.map(|(p, r)| (p, r.into())),
    }
}

fn invite(project_id: i64, email: &str, hash: &str, by: &User, expires_ms: i64) -> NewInvite {
    NewInvite {
        project_id,
        email: email.into(),
        role: "member".into(),
        token_hash: hash.into(),
        created_by: by.id,
        expires_ms,
    }
}

/// The projects a user sees, with their role on each, as the server asks for them.
async fn seen(store: &dyn AccountStore, user_id: i64) -> Option<Vec<(i64, String)>> {
    store.user_context(user_id).await.unwrap().map(|ctx| {
        ctx.projects
            .into_iter()
            .map(|a| (a.project.id, a.role))
            .collect()
    })
}

/// Every [`PeopleStore`] method, from an empty store.
pub async fn people<S: AccountStore + PeopleStore>(store: &S) {
    let (shop, admin) = install(store, "Acme", "key-acme", "Admin@Example.com").await;
    let org = shop.organization_id;
    let blog = store
        .create_project(org, "Blog", "key-blog", T0)
        .await
        .unwrap();
    let (elsewhere, other_admin) = install(store, "Other", "key-other", "root@other.example").await;

    // The installation's admin is the first person: an organization admin without roles.
    let listed = store.people(org).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].user, admin);
    assert!(listed[0].organization_admin);
    assert_eq!(listed[0].disabled_ms, None);
    assert!(listed[0].roles.is_empty());
    assert_eq!(listed[0].created_ms, T0);

    // New accounts: one email one account, whatever its case.
    let carl = store
        .create_person(
            person(org, "Carl@example.com", Some((shop.id, "viewer"))),
            T0 + 1,
        )
        .await
        .unwrap()
        .expect("a new email is a new account");
    assert_eq!(carl.email, "Carl@example.com");
    let bea = store
        .create_person(person(org, "bea@example.com", None), T0 + 2)
        .await
        .unwrap()
        .unwrap();
    for email in ["dan_x@example.com", "Dan.y@example.com"] {
        store
            .create_person(person(org, email, None), T0 + 2)
            .await
            .unwrap()
            .unwrap();
    }
    assert_eq!(
        store
            .create_person(person(org, "CARL@EXAMPLE.COM", None), T0 + 3)
            .await
            .unwrap(),
        None,
        "the email is taken whatever its case"
    );
    assert_eq!(
        store
            .create_person(
                person(elsewhere.organization_id, "admin@example.com", None),
                T0
            )
            .await
            .unwrap(),
        None,
        "an email has one account across organizations"
    );
    let login = store
        .user_for_login("carl@EXAMPLE.com")
        .await
        .unwrap()
        .expect("a created account signs in");
    assert_eq!(login.user, carl);
    assert_eq!(login.password_hash, "hash of Carl@example.com");
    assert_eq!(login.organization_id, org);

    // Listed by email without regard to case, each with their roles.
    let listed = store.people(org).await.unwrap();
    let emails: Vec<&str> = listed.iter().map(|p| p.user.email.as_str()).collect();
    assert_eq!(
        emails,
        vec![
            "Admin@Example.com",
            "bea@example.com",
            "Carl@example.com",
            "Dan.y@example.com",
            "dan_x@example.com"
        ],
        "by email as SQLite's NOCASE compares: letters without case, the rest by code point"
    );
    assert_eq!(listed[2].roles, vec![(shop.id, "viewer".to_string())]);
    assert!(!listed[2].organization_admin);
    assert_eq!(listed[2].created_ms, T0 + 1);
    assert!(listed[1].roles.is_empty(), "bea has no project yet");
    let others = store.people(elsewhere.organization_id).await.unwrap();
    assert_eq!(
        others.iter().map(|p| p.user.id).collect::<Vec<_>>(),
        vec![other_admin.id],
        "another organization's people are its own"
    );
    assert_eq!(
        store.person(org, carl.id).await.unwrap(),
        Some(listed[2].clone())
    );
    assert_eq!(
        store
            .person(elsewhere.organization_id, carl.id)
            .await
            .unwrap(),
        None,
        "not a person of that organization"
    );
    assert_eq!(store.person(org, carl.id + 1000).await.unwrap(), None);

    // Roles per project: what a member sees.
    assert_eq!(
        seen(store, carl.id).await,
        Some(vec![(shop.id, "viewer".to_string())])
    );
    assert_eq!(
        seen(store, bea.id).await,
        Some(vec![]),
        "no role, no project"
    );
    store
        .set_project_role(blog.id, carl.id, Some("manager"))
        .await
        .unwrap();
    store
        .set_project_role(shop.id, carl.id, Some("member"))
        .await
        .unwrap();
    assert_eq!(
        store.person(org, carl.id).await.unwrap().unwrap().roles,
        vec![
            (shop.id, "member".to_string()),
            (blog.id, "manager".to_string())
        ],
        "a role replaces the one before; by project"
    );
    assert_eq!(
        seen(store, carl.id).await,
        Some(vec![
            (shop.id, "member".to_string()),
            (blog.id, "manager".to_string())
        ])
    );
    store
        .set_project_role(shop.id, carl.id, None)
        .await
        .unwrap();
    assert_eq!(
        seen(store, carl.id).await,
        Some(vec![(blog.id, "manager".to_string())]),
        "access removed"
    );
    // Removing a role that is not there changes nothing.
    store.set_project_role(shop.id, bea.id, None).await.unwrap();
    assert_eq!(seen(store, bea.id).await, Some(vec![]));

    // Organization admins are admins of every project; taking it back leaves their roles.
    store
        .set_organization_admin(org, bea.id, true)
        .await
        .unwrap();
    assert!(
        store
            .person(org, bea.id)
            .await
            .unwrap()
            .unwrap()
            .organization_admin
    );
    let ctx = store.user_context(bea.id).await.unwrap().unwrap();
    assert!(ctx.organization_admin);
    assert_eq!(
        seen(store, bea.id).await,
        Some(vec![
            (shop.id, "admin".to_string()),
            (blog.id, "admin".to_string())
        ])
    );
    store
        .set_organization_admin(org, bea.id, false)
        .await
        .unwrap();
    assert!(
        !store
            .person(org, bea.id)
            .await
            .unwrap()
            .unwrap()
            .organization_admin
    );
    assert_eq!(seen(store, bea.id).await, Some(vec![]));

    // A disabled account cannot sign in and its sessions and tokens stop at once; enabled
    // again, it signs in, but what stopped stays stopped.
    for (hash, origin) in [
        ("carl-login", TokenOrigin::Login),
        ("carl-api", TokenOrigin::Created),
    ] {
        store
            .put_token(
                NewToken {
                    user_id: carl.id,
                    token_hash: hash.into(),
                    origin,
                    name: None,
                    expires_ms: None,
                },
                T0,
            )
            .await
            .unwrap();
    }
    assert!(store.token_user("carl-api", T0).await.unwrap().is_some());
    store.set_disabled(carl.id, true, T0 + 10).await.unwrap();
    assert!(store.token_user("carl-login", T0).await.unwrap().is_none());
    assert!(store.token_user("carl-api", T0).await.unwrap().is_none());
    assert!(store.tokens_of(carl.id, T0).await.unwrap().is_empty());
    assert!(
        store
            .user_for_login("carl@example.com")
            .await
            .unwrap()
            .unwrap()
            .disabled
    );
    assert!(store.user_context(carl.id).await.unwrap().is_none());
    assert_eq!(
        store
            .person(org, carl.id)
            .await
            .unwrap()
            .unwrap()
            .disabled_ms,
        Some(T0 + 10)
    );
    store.set_disabled(carl.id, true, T0 + 20).await.unwrap();
    assert_eq!(
        store
            .person(org, carl.id)
            .await
            .unwrap()
            .unwrap()
            .disabled_ms,
        Some(T0 + 10),
        "disabling again keeps when it was first disabled"
    );
    store.set_disabled(carl.id, false, T0 + 30).await.unwrap();
    let person_now = store.person(org, carl.id).await.unwrap().unwrap();
    assert_eq!(person_now.disabled_ms, None);
    assert_eq!(
        person_now.roles,
        vec![(blog.id, "manager".to_string())],
        "roles survive"
    );
    assert!(
        !store
            .user_for_login("carl@example.com")
            .await
            .unwrap()
            .unwrap()
            .disabled
    );
    assert!(store.user_context(carl.id).await.unwrap().is_some());
    assert!(store.token_user("carl-api", T0).await.unwrap().is_none());

    // Invitations: pending ones newest first, found by their secret until they expire.
    let day = 86_400_000;
    let first = store
        .create_invite(
            invite(shop.id, "New@Example.com", "inv-1", &admin, T0 + day),
            T0 + 100,
        )
        .await
        .unwrap();
    assert_eq!(first.project_id, shop.id);
    assert_eq!(first.organization_id, org);
    assert_eq!(first.email, "New@Example.com");
    assert_eq!(first.role, "member");
    assert_eq!(first.created_by, "Admin@Example.com", "the inviter's email");
    assert_eq!((first.created_ms, first.expires_ms), (T0 + 100, T0 + day));
    let short = store
        .create_invite(
            invite(shop.id, "late@example.com", "inv-2", &admin, T0 + 500),
            T0 + 200,
        )
        .await
        .unwrap();
    let taken = store
        .create_invite(
            invite(shop.id, "BEA@example.com", "inv-3", &admin, T0 + day),
            T0 + 300,
        )
        .await
        .unwrap();
    let on_blog = store
        .create_invite(
            invite(blog.id, "blog@example.com", "inv-4", &admin, T0 + day),
            T0 + 300,
        )
        .await
        .unwrap();
    let ids = |list: Vec<crate::Invite>| list.into_iter().map(|i| i.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.pending_invites(shop.id, T0 + 400).await.unwrap()),
        vec![taken.id, short.id, first.id],
        "newest first, the project's only"
    );
    assert_eq!(
        ids(store.pending_invites(shop.id, T0 + 500).await.unwrap()),
        vec![taken.id, first.id],
        "an expired invitation is not pending"
    );
    assert_eq!(
        store.invite_by_token("inv-1", T0 + 400).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(
        store.invite_by_token("inv-2", T0 + 499).await.unwrap(),
        Some(short.clone())
    );
    assert_eq!(
        store.invite_by_token("inv-2", T0 + 500).await.unwrap(),
        None,
        "expired"
    );
    assert_eq!(store.invite_by_token("nope", T0).await.unwrap(), None);
    assert_eq!(
        store.accept_invite("inv-2", "pw", T0 + 500).await.unwrap(),
        Accepted::Gone,
        "an expired link cannot be used"
    );
    assert!(
        store
            .user_for_login("late@example.com")
            .await
            .unwrap()
            .is_none(),
        "nothing was created"
    );

    // Accepting creates the account with the invitation's role, once.
    let Accepted::Created { user, invite: used } = store
        .accept_invite("inv-1", "pw-new", T0 + 600)
        .await
        .unwrap()
    else {
        panic!("a pending invitation is accepted");
    };
    assert_eq!(user.email, "New@Example.com");
    assert_eq!(used, first);
    let login = store
        .user_for_login("new@example.com")
        .await
        .unwrap()
        .expect("the invited person signs in");
    assert_eq!(
        (login.user.id, login.password_hash.as_str()),
        (user.id, "pw-new")
    );
    let newcomer = store.person(org, user.id).await.unwrap().unwrap();
    assert_eq!(newcomer.roles, vec![(shop.id, "member".to_string())]);
    assert!(!newcomer.organization_admin);
    assert_eq!(newcomer.created_ms, T0 + 600);
    assert_eq!(
        store
            .accept_invite("inv-1", "pw-again", T0 + 700)
            .await
            .unwrap(),
        Accepted::Gone,
        "a link is used once"
    );
    assert_eq!(
        store.invite_by_token("inv-1", T0 + 700).await.unwrap(),
        None
    );
    assert!(
        !store.revoke_invite(shop.id, first.id).await.unwrap(),
        "used, not pending"
    );
    assert_eq!(
        ids(store.pending_invites(shop.id, T0 + 400).await.unwrap()),
        vec![taken.id, short.id],
        "a used invitation is not pending"
    );

    // An invitation for an email that has an account: refused, and still pending.
    assert_eq!(
        store.accept_invite("inv-3", "pw", T0 + 800).await.unwrap(),
        Accepted::EmailTaken
    );
    assert_eq!(
        store.invite_by_token("inv-3", T0 + 800).await.unwrap(),
        Some(taken.clone())
    );
    assert_eq!(
        store
            .user_for_login("bea@example.com")
            .await
            .unwrap()
            .unwrap()
            .password_hash,
        "hash of bea@example.com",
        "the existing account is unchanged"
    );

    // Revoking: only the project's own, once; a revoked link is gone.
    assert!(
        !store.revoke_invite(blog.id, taken.id).await.unwrap(),
        "another project's"
    );
    assert!(store.revoke_invite(shop.id, taken.id).await.unwrap());
    assert!(!store.revoke_invite(shop.id, taken.id).await.unwrap());
    assert_eq!(
        store.invite_by_token("inv-3", T0 + 800).await.unwrap(),
        None
    );
    assert_eq!(
        store.accept_invite("inv-3", "pw", T0 + 800).await.unwrap(),
        Accepted::Gone
    );
    assert!(
        store
            .invite_by_token("inv-4", T0 + 800)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        ids(store.pending_invites(blog.id, T0 + 800).await.unwrap()),
        vec![on_blog.id]
    );

    // The same link accepted twice at once: one account, the other answer is Gone.
    store
        .create_invite(
            invite(shop.id, "race@example.com", "inv-5", &admin, T0 + day),
            T0 + 900,
        )
        .await
        .unwrap();
    let (a, b) = futures::join!(
        store.accept_invite("inv-5", "pw-a", T0 + 901),
        store.accept_invite("inv-5", "pw-b", T0 + 901)
    );
    let mut outcomes = [a.unwrap(), b.unwrap()];
    outcomes.sort_by_key(|o| matches!(o, Accepted::Gone));
    assert!(
        matches!(outcomes, [Accepted::Created { .. }, Accepted::Gone]),
        "{outcomes:?}"
    );
    assert_eq!(store.people(org).await.unwrap().len(), 7);
}
