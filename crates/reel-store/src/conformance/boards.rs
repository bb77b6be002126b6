//! [`BoardStore`]: a project's dashboards and notebooks, named and ordered.

use crate::{AccountStore, BoardKind, BoardStore, StoredBoard};

use super::{T0, install};

fn ids(boards: &[StoredBoard]) -> Vec<i64> {
    boards.iter().map(|b| b.id).collect()
}

/// Every [`BoardStore`] method, from an empty store.
pub async fn boards<S: AccountStore + BoardStore>(store: &S) {
    use BoardKind::{Dashboard, Notebook};
    let (shop, admin) = install(store, "Acme", "key-acme", "admin@example.com").await;
    let blog = store
        .create_project(shop.organization_id, "Blog", "key-blog", T0)
        .await
        .unwrap();
    let p = shop.id;

    // New boards go last, each kind in its own order.
    assert!(store.boards(p, Dashboard).await.unwrap().is_empty());
    let mut dashboards = Vec::new();
    for (i, name) in ["Sales", "Errors", "Funnel"].iter().enumerate() {
        let body = format!(r#"{{"items":[{i}]}}"#);
        let board = store
            .add_board(p, Dashboard, admin.id, name, &body, T0 + i as i64)
            .await
            .unwrap();
        assert_eq!(board.kind, Dashboard);
        assert_eq!(board.name, *name);
        assert_eq!(board.body, body);
        assert_eq!(board.position, i as i64, "last in the order");
        assert_eq!(
            (board.created_ms, board.updated_ms),
            (T0 + i as i64, T0 + i as i64)
        );
        dashboards.push(board);
    }
    let [sales, errors, funnel] = <[StoredBoard; 3]>::try_from(dashboards).unwrap();
    let notes = store
        .add_board(p, Notebook, admin.id, "Notes", "{}", T0 + 5)
        .await
        .unwrap();
    assert_eq!(notes.kind, Notebook);
    assert_eq!(
        notes.position, 0,
        "notebooks are numbered apart from dashboards"
    );
    let elsewhere = store
        .add_board(blog.id, Dashboard, admin.id, "Blog", "{}", T0 + 6)
        .await
        .unwrap();
    assert_eq!(elsewhere.position, 0, "each project numbers its own");
    assert_eq!(
        store.boards(p, Dashboard).await.unwrap(),
        vec![sales.clone(), errors.clone(), funnel.clone()]
    );
    assert_eq!(
        store.boards(p, Notebook).await.unwrap(),
        vec![notes.clone()]
    );
    assert_eq!(
        store.boards(blog.id, Dashboard).await.unwrap(),
        vec![elsewhere.clone()]
    );

    // One board: only as its kind and in its project.
    assert_eq!(
        store.board(p, Dashboard, sales.id).await.unwrap(),
        Some(sales.clone())
    );
    assert_eq!(
        store.board(p, Notebook, sales.id).await.unwrap(),
        None,
        "not a notebook"
    );
    assert_eq!(
        store.board(blog.id, Dashboard, sales.id).await.unwrap(),
        None
    );
    assert_eq!(
        store.board(p, Notebook, notes.id).await.unwrap(),
        Some(notes.clone())
    );

    // Replacing name and body keeps the place and the creation time.
    let renamed = store
        .put_board(
            p,
            Dashboard,
            errors.id,
            "Errors (JS)",
            r#"{"items":[9]}"#,
            T0 + 20,
        )
        .await
        .unwrap()
        .expect("the board is replaced");
    assert_eq!(
        renamed,
        StoredBoard {
            name: "Errors (JS)".into(),
            body: r#"{"items":[9]}"#.into(),
            updated_ms: T0 + 20,
            ..errors.clone()
        }
    );
    assert_eq!(
        store.board(p, Dashboard, errors.id).await.unwrap(),
        Some(renamed.clone())
    );
    assert_eq!(
        store
            .put_board(p, Notebook, errors.id, "x", "{}", T0 + 21)
            .await
            .unwrap(),
        None,
        "a dashboard is not replaced as a notebook"
    );
    assert_eq!(
        store
            .put_board(blog.id, Dashboard, errors.id, "x", "{}", T0 + 21)
            .await
            .unwrap(),
        None,
        "nor from another project"
    );
    assert_eq!(
        store.board(p, Dashboard, errors.id).await.unwrap(),
        Some(renamed.clone())
    );

    // Ordering: the named ones first, the others after them in their order.
    assert!(
        store
            .order_boards(p, Dashboard, &[funnel.id, sales.id])
            .await
            .unwrap()
    );
    let ordered = store.boards(p, Dashboard).await.unwrap();
    assert_eq!(ids(&ordered), vec![funnel.id, sales.id, errors.id]);
    assert_eq!(
        ordered.iter().map(|b| b.position).collect::<Vec<_>>(),
        vec![0, 1, 2]
    );
    assert!(
        !store
            .order_boards(p, Dashboard, &[errors.id, notes.id])
            .await
            .unwrap(),
        "a notebook is not a dashboard"
    );
    assert!(
        !store
            .order_boards(blog.id, Dashboard, &[sales.id])
            .await
            .unwrap(),
        "another project's board"
    );
    assert_eq!(
        ids(&store.boards(p, Dashboard).await.unwrap()),
        vec![funnel.id, sales.id, errors.id],
        "a refused order changes nothing"
    );
    assert_eq!(
        ids(&store.boards(p, Notebook).await.unwrap()),
        vec![notes.id]
    );
    let later = store
        .add_board(p, Dashboard, admin.id, "Later", "{}", T0 + 30)
        .await
        .unwrap();
    assert_eq!(later.position, 3);
    assert!(
        store.order_boards(p, Dashboard, &[]).await.unwrap(),
        "nothing to move"
    );
    assert_eq!(
        ids(&store.boards(p, Dashboard).await.unwrap()),
        vec![funnel.id, sales.id, errors.id, later.id]
    );

    // Deleting: only as its kind and in its project, once.
    assert!(!store.delete_board(p, Notebook, sales.id).await.unwrap());
    assert!(
        !store
            .delete_board(blog.id, Dashboard, sales.id)
            .await
            .unwrap()
    );
    assert!(store.delete_board(p, Dashboard, sales.id).await.unwrap());
    assert!(!store.delete_board(p, Dashboard, sales.id).await.unwrap());
    assert_eq!(store.board(p, Dashboard, sales.id).await.unwrap(), None);
    assert_eq!(
        ids(&store.boards(p, Dashboard).await.unwrap()),
        vec![funnel.id, errors.id, later.id]
    );
    let last = store
        .add_board(p, Dashboard, admin.id, "Last", "{}", T0 + 40)
        .await
        .unwrap();
    assert_eq!(last.position, 4, "after the highest place, gaps kept");
    assert!(store.delete_board(p, Notebook, notes.id).await.unwrap());
    assert!(store.boards(p, Notebook).await.unwrap().is_empty());

    // Boards added at once (by several people, on several nodes) each get their own place.
    let adding = (0..8).map(|i| async move {
        let name = format!("N{i}");
        store
            .add_board(p, Notebook, admin.id, &name, "{}", T0 + 50)
            .await
    });
    let mut places: Vec<i64> = futures::future::join_all(adding)
        .await
        .into_iter()
        .map(|b| b.unwrap().position)
        .collect();
    places.sort_unstable();
    assert_eq!(places, (0..8).collect::<Vec<_>>(), "one place each");
    assert_eq!(
        store.boards(blog.id, Dashboard).await.unwrap(),
        vec![elsewhere]
    );
}
