//! [`LibraryStore`]: saved searches and cohorts of a project.

use crate::{AccountStore, LibraryStore, NewPerson, PeopleStore};

use super::{T0, install};

/// Every [`LibraryStore`] method, from an empty store.
pub async fn library<S: AccountStore + PeopleStore + LibraryStore>(store: &S) {
    let (shop, admin) = install(store, "Acme", "key-acme", "Admin@Example.com").await;
    let blog = store
        .create_project(shop.organization_id, "Blog", "key-blog", T0)
        .await
        .unwrap();
    let member = store
        .create_person(
            NewPerson {
                organization_id: shop.organization_id,
                email: "Mia@example.com".into(),
                password_hash: "h".into(),
                project_role: Some((shop.id, "member".into())),
            },
            T0,
        )
        .await
        .unwrap()
        .unwrap();

    // Saved searches: kept as given, with their creator's email, listed by name.
    assert!(store.saved_searches(shop.id).await.unwrap().is_empty());
    let zebra = store
        .add_saved_search(shop.id, admin.id, "Zebra", r#"{"text":"pay"}"#, T0 + 1)
        .await
        .unwrap();
    assert_eq!(zebra.name, "Zebra");
    assert_eq!(zebra.search, r#"{"text":"pay"}"#);
    assert_eq!(zebra.created_by, "Admin@Example.com");
    assert_eq!(zebra.created_ms, T0 + 1);
    let apple = store
        .add_saved_search(shop.id, member.id, "apple", r#"{"errors":true}"#, T0 + 2)
        .await
        .unwrap();
    assert_eq!(apple.created_by, "Mia@example.com");
    let zebra_again = store
        .add_saved_search(shop.id, member.id, "Zebra", "{}", T0 + 3)
        .await
        .unwrap();
    assert_ne!(zebra_again.id, zebra.id, "a name may be saved twice");
    let on_blog = store
        .add_saved_search(blog.id, admin.id, "Blog search", "{}", T0 + 4)
        .await
        .unwrap();
    assert_eq!(
        store.saved_searches(shop.id).await.unwrap(),
        vec![zebra.clone(), zebra_again.clone(), apple.clone()],
        "by name (capitals before small letters, as SQLite compares), then as saved"
    );
    assert_eq!(
        store.saved_searches(blog.id).await.unwrap(),
        vec![on_blog.clone()]
    );
    assert!(
        !store.delete_saved_search(blog.id, zebra.id).await.unwrap(),
        "another project's search"
    );
    assert!(store.delete_saved_search(shop.id, zebra.id).await.unwrap());
    assert!(!store.delete_saved_search(shop.id, zebra.id).await.unwrap());
    assert_eq!(
        store.saved_searches(shop.id).await.unwrap(),
        vec![zebra_again, apple]
    );

    // Cohorts: created, replaced (keeping when they were created), listed by name, deleted.
    assert!(store.cohorts(shop.id).await.unwrap().is_empty());
    let buyers = store
        .put_cohort(shop.id, None, "buyers", r#"{"all":[]}"#, T0 + 10)
        .await
        .unwrap()
        .expect("a new cohort");
    assert_eq!(buyers.name, "buyers");
    assert_eq!(buyers.definition, r#"{"all":[]}"#);
    assert_eq!((buyers.created_ms, buyers.updated_ms), (T0 + 10, T0 + 10));
    let active = store
        .put_cohort(shop.id, None, "Active", "{}", T0 + 11)
        .await
        .unwrap()
        .unwrap();
    let changed = store
        .put_cohort(
            shop.id,
            Some(buyers.id),
            "Buyers",
            r#"{"any":[1]}"#,
            T0 + 12,
        )
        .await
        .unwrap()
        .expect("the project's cohort is replaced");
    assert_eq!(changed.id, buyers.id);
    assert_eq!(changed.name, "Buyers");
    assert_eq!(changed.definition, r#"{"any":[1]}"#);
    assert_eq!((changed.created_ms, changed.updated_ms), (T0 + 10, T0 + 12));
    assert_eq!(
        store
            .put_cohort(blog.id, Some(buyers.id), "Stolen", "{}", T0 + 13)
            .await
            .unwrap(),
        None,
        "another project's cohort is not replaced"
    );
    assert_eq!(
        store
            .put_cohort(shop.id, Some(buyers.id + 1000), "Nobody", "{}", T0 + 13)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.cohorts(shop.id).await.unwrap(),
        vec![active.clone(), changed.clone()],
        "by name; the refused replacements changed nothing"
    );
    assert!(store.cohorts(blog.id).await.unwrap().is_empty());
    let sorted = store
        .put_cohort(shop.id, None, "active", "{}", T0 + 14)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store.cohorts(shop.id).await.unwrap(),
        vec![active.clone(), changed.clone(), sorted.clone()],
        "capitals before small letters, as SQLite compares"
    );
    assert!(!store.delete_cohort(blog.id, active.id).await.unwrap());
    assert!(store.delete_cohort(shop.id, active.id).await.unwrap());
    assert!(!store.delete_cohort(shop.id, active.id).await.unwrap());
    assert_eq!(store.cohorts(shop.id).await.unwrap(), vec![changed, sorted]);
}
