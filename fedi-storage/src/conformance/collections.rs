//! Conformance cases for collections: ordering, paging edges, paging against a model.

use super::scope;
use crate::*;

/// Collections: order, count, contains, moves and removals.
pub async fn collection_ordering<S: Store + ?Sized>(store: &S) {
    let c = scope("ordering");
    for k in [5u64, 1, 9, 3, 7] {
        assert!(
            store
                .insert(&c, &CollectionItem::new(k, format!("m{k}")))
                .await
                .expect("insert"),
            "ordering: a new member reports true"
        );
    }
    assert!(
        !store
            .insert(&c, &CollectionItem::new(5, "m5"))
            .await
            .expect("insert"),
        "ordering: re-inserting reports false"
    );
    assert_eq!(
        store.count(&c).await.expect("count"),
        5,
        "ordering: count after 5 inserts"
    );
    let newest = store
        .page(&c, &PageRequest::newest(10))
        .await
        .expect("page");
    assert_eq!(
        newest.members(),
        ["m9", "m7", "m5", "m3", "m1"],
        "ordering: newest first"
    );
    let oldest = store
        .page(&c, &PageRequest::oldest(10))
        .await
        .expect("page");
    assert_eq!(
        oldest.members(),
        ["m1", "m3", "m5", "m7", "m9"],
        "ordering: oldest first"
    );
    assert_eq!(
        newest.items[0],
        CollectionItem::new(9, "m9"),
        "ordering: items carry their keys"
    );

    // Moving a member keeps the count and changes its position.
    assert!(
        !store
            .insert(&c, &CollectionItem::new(10, "m1"))
            .await
            .expect("move"),
        "ordering: moving reports false"
    );
    assert_eq!(
        store.count(&c).await.expect("count"),
        5,
        "ordering: moving keeps the count"
    );
    assert_eq!(
        store.key_of(&c, "m1").await.expect("key_of"),
        Some(10),
        "ordering: the moved member has its new key"
    );
    let p = store
        .page(&c, &PageRequest::newest(10))
        .await
        .expect("page");
    assert_eq!(
        p.members(),
        ["m1", "m9", "m7", "m5", "m3"],
        "ordering: moved member at its new place, not twice"
    );

    assert!(
        store.remove(&c, "m9").await.expect("remove"),
        "ordering: removing a member reports true"
    );
    assert!(
        !store.remove(&c, "m9").await.expect("remove"),
        "ordering: removing again reports false"
    );
    assert!(
        !store.contains(&c, "m9").await.expect("contains"),
        "ordering: removed member is gone"
    );
    assert!(
        store.contains(&c, "m7").await.expect("contains"),
        "ordering: others remain"
    );
    assert_eq!(
        store.count(&c).await.expect("count"),
        4,
        "ordering: count after remove"
    );
    assert_eq!(
        store.count(&format!("{c}-other")).await.expect("count"),
        0,
        "ordering: unknown collection counts 0"
    );

    // Collections whose names share a prefix do not see each other.
    let c2 = format!("{c}x");
    store
        .insert(&c2, &CollectionItem::new(1, "other"))
        .await
        .expect("insert");
    assert_eq!(
        store.count(&c).await.expect("count"),
        4,
        "ordering: a collection named with a longer name is separate"
    );
    assert_eq!(
        store
            .page(&c2, &PageRequest::newest(10))
            .await
            .expect("page")
            .members(),
        ["other"],
        "ordering: separate collections"
    );
    // Extreme keys.
    let c3 = format!("{c}-extremes");
    store
        .insert(&c3, &CollectionItem::new(0, "zero"))
        .await
        .expect("insert");
    store
        .insert(&c3, &CollectionItem::new(u64::MAX, "max"))
        .await
        .expect("insert");
    assert_eq!(
        store
            .page(&c3, &PageRequest::newest(5))
            .await
            .expect("page")
            .members(),
        ["max", "zero"],
        "ordering: keys 0 and u64::MAX"
    );
    assert!(
        store
            .page(&c3, &PageRequest::newest(5).since_id(u64::MAX))
            .await
            .expect("page")
            .items
            .is_empty(),
        "ordering: nothing above u64::MAX"
    );
    assert!(
        store
            .page(&c3, &PageRequest::newest(5).max_id(0))
            .await
            .expect("page")
            .items
            .is_empty(),
        "ordering: nothing below 0"
    );
    assert_eq!(
        store
            .page(&c3, &PageRequest::newest(5).max_id(u64::MAX))
            .await
            .expect("page")
            .members(),
        ["zero"],
        "ordering: below u64::MAX"
    );
}

/// Paging edges: empty collections, exact pages, cursors at both ends.
pub async fn paging_edges<S: Store + ?Sized>(store: &S) {
    let empty = scope("paging-empty");
    for req in [
        PageRequest::newest(40),
        PageRequest::oldest(40),
        PageRequest::newest(40).max_id(100),
        PageRequest::newest(40).since_id(0),
        PageRequest::newest(40).min_id(0),
    ] {
        assert!(
            store
                .page(&empty, &req)
                .await
                .expect("page")
                .items
                .is_empty(),
            "paging: empty collection gives an empty page for {req:?}"
        );
    }

    let c = scope("paging");
    // Keys 10, 20, ..., 100.
    for i in 1..=10u64 {
        store
            .insert(&c, &CollectionItem::new(i * 10, format!("m{}", i * 10)))
            .await
            .expect("insert");
    }
    let keys = |p: &Page| p.items.iter().map(|i| i.key).collect::<Vec<_>>();
    let cr: &str = &c;
    let page = |r: PageRequest| async move { store.page(cr, &r).await.expect("page") };

    // An exact page: the limit equals the size; the next page is empty.
    let p = page(PageRequest::newest(10)).await;
    assert_eq!(
        keys(&p),
        [100, 90, 80, 70, 60, 50, 40, 30, 20, 10],
        "paging: exact page"
    );
    let next = page(PageRequest::newest(10).max_id(p.next_max_id().expect("cursor"))).await;
    assert!(
        next.items.is_empty(),
        "paging: the page after an exact page is empty"
    );
    // Walking with max_id visits everything once.
    let mut seen = Vec::new();
    let mut req = PageRequest::newest(3);
    for _ in 0..10 {
        let p = page(req.clone()).await;
        if p.items.is_empty() {
            break;
        }
        seen.extend(keys(&p));
        req = PageRequest::newest(3).max_id(p.next_max_id().expect("cursor"));
    }
    assert_eq!(
        seen,
        [100, 90, 80, 70, 60, 50, 40, 30, 20, 10],
        "paging: walking down with max_id"
    );
    // Cursors at both ends.
    assert!(
        page(PageRequest::newest(5).max_id(10))
            .await
            .items
            .is_empty(),
        "paging: max_id at the oldest item"
    );
    assert_eq!(
        keys(&page(PageRequest::newest(2).max_id(100)).await),
        [90, 80],
        "paging: max_id at the newest item"
    );
    assert!(
        page(PageRequest::newest(5).since_id(100))
            .await
            .items
            .is_empty(),
        "paging: since_id at the newest item"
    );
    assert!(
        page(PageRequest::newest(5).min_id(100))
            .await
            .items
            .is_empty(),
        "paging: min_id at the newest item"
    );
    assert_eq!(
        keys(&page(PageRequest::newest(2).since_id(10)).await),
        [100, 90],
        "paging: since_id gives the newest above it"
    );
    assert_eq!(
        keys(&page(PageRequest::newest(2).min_id(10)).await),
        [30, 20],
        "paging: min_id gives the ones right after it, newest first"
    );
    assert_eq!(
        keys(&page(PageRequest::oldest(2).min_id(10)).await),
        [20, 30],
        "paging: min_id oldest first"
    );
    assert_eq!(
        keys(&page(PageRequest::newest(3).min_id(0)).await),
        [30, 20, 10],
        "paging: min_id 0 gives the oldest"
    );
    // Between two cursors.
    assert_eq!(
        keys(&page(PageRequest::newest(10).max_id(70).since_id(30)).await),
        [60, 50, 40],
        "paging: max_id and since_id"
    );
    assert_eq!(
        keys(&page(PageRequest::newest(2).max_id(70).min_id(30)).await),
        [50, 40],
        "paging: max_id and min_id"
    );
    // Cursors between keys.
    assert_eq!(
        keys(&page(PageRequest::newest(2).max_id(55)).await),
        [50, 40],
        "paging: max_id between keys"
    );
    assert_eq!(
        keys(&page(PageRequest::newest(2).min_id(55)).await),
        [70, 60],
        "paging: min_id between keys"
    );
    // Walking up with min_id visits everything once.
    let mut seen = Vec::new();
    let mut req = PageRequest::newest(4).min_id(0);
    for _ in 0..10 {
        let p = page(req.clone()).await;
        if p.items.is_empty() {
            break;
        }
        let mut k = keys(&p);
        k.reverse();
        seen.extend(k);
        req = PageRequest::newest(4).min_id(p.prev_min_id().expect("cursor"));
    }
    assert_eq!(
        seen,
        [10, 20, 30, 40, 50, 60, 70, 80, 90, 100],
        "paging: walking up with min_id"
    );
    assert!(
        page(PageRequest::newest(0)).await.items.is_empty(),
        "paging: limit 0 gives an empty page"
    );
}

/// Pages for many cursor combinations equal those of a simple model.
pub async fn paging_matches_model<S: Store + ?Sized>(store: &S) {
    let c = scope("model");
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut model: Vec<u64> = Vec::new();
    for _ in 0..60 {
        let k = next() % 200;
        if !model.contains(&k) {
            model.push(k);
            store
                .insert(&c, &CollectionItem::new(k, format!("k{k}")))
                .await
                .expect("insert");
        }
    }
    model.sort_unstable();
    for _ in 0..200 {
        let pick = |n: u64| {
            if n.is_multiple_of(3) {
                None
            } else {
                Some(n % 210)
            }
        };
        let req = PageRequest {
            max_id: pick(next()),
            since_id: if next().is_multiple_of(2) {
                pick(next())
            } else {
                None
            },
            min_id: if next().is_multiple_of(2) {
                pick(next())
            } else {
                None
            },
            limit: (next() % 8) as usize,
            order: if next().is_multiple_of(4) {
                Order::OldestFirst
            } else {
                Order::NewestFirst
            },
        };
        let lower = req.since_id.max(req.min_id);
        let in_range: Vec<u64> = model
            .iter()
            .copied()
            .filter(|k| req.max_id.is_none_or(|m| *k < m) && lower.is_none_or(|l| *k > l))
            .collect();
        let mut expected: Vec<u64> = if req.min_id.is_some() || req.order == Order::OldestFirst {
            in_range.iter().copied().take(req.limit).collect()
        } else {
            in_range.iter().rev().copied().take(req.limit).collect()
        };
        expected.sort_unstable();
        if req.order == Order::NewestFirst {
            expected.reverse();
        }
        let got: Vec<u64> = store
            .page(&c, &req)
            .await
            .expect("page")
            .items
            .iter()
            .map(|i| i.key)
            .collect();
        assert_eq!(got, expected, "paging model: wrong page for {req:?}");
    }
}

/// Multi-reads of collections: [`CollectionStore::count_many`],
/// [`CollectionStore::newest_many`] and [`CollectionStore::key_of_many`] answer each name as
/// the single reads do, in the order asked.
pub async fn collection_multi_reads<S: Store + ?Sized>(store: &S) {
    let a = scope("many-a");
    let b = scope("many-b");
    let empty = scope("many-empty");
    for (k, m) in [(3u64, "x"), (9, "y"), (5, "z")] {
        store
            .insert(&a, &CollectionItem::new(k, m))
            .await
            .expect("insert");
    }
    store
        .insert(&b, &CollectionItem::new(1, "x"))
        .await
        .expect("insert");
    let none: &[&str] = &[];
    assert_eq!(
        store.count_many(none).await.expect("count_many"),
        Vec::<u64>::new(),
        "count_many: no collections, no answers"
    );
    assert_eq!(
        store
            .count_many(&[&b, &a, &empty, &a])
            .await
            .expect("count_many"),
        vec![1, 3, 0, 3],
        "count_many: one count per name, in order"
    );
    assert_eq!(
        store
            .newest_many(&[&a, &empty, &b])
            .await
            .expect("newest_many"),
        vec![
            Some(CollectionItem::new(9, "y")),
            None,
            Some(CollectionItem::new(1, "x")),
        ],
        "newest_many: the item with the largest key, None when empty"
    );
    // A move and a removal show in the next multi-read.
    store
        .insert(&a, &CollectionItem::new(12, "x"))
        .await
        .expect("move");
    store.remove(&b, "x").await.expect("remove");
    assert_eq!(
        store.newest_many(&[&a, &b]).await.expect("newest_many"),
        vec![Some(CollectionItem::new(12, "x")), None],
        "newest_many: after a move and a removal"
    );
    assert_eq!(
        store.count_many(&[&a, &b]).await.expect("count_many"),
        vec![3, 0],
        "count_many: after a move and a removal"
    );
    let pairs: [(&str, &str); 5] = [(&a, "x"), (&a, "nope"), (&b, "x"), (&empty, "x"), (&a, "z")];
    let many = store.key_of_many(&pairs).await.expect("key_of_many");
    assert_eq!(
        many,
        vec![Some(12), None, None, None, Some(5)],
        "key_of_many: one key per pair, in order"
    );
    let mut one_by_one = Vec::new();
    for (c, m) in pairs {
        one_by_one.push(store.key_of(c, m).await.expect("key_of"));
    }
    assert_eq!(many, one_by_one, "key_of_many: the same as key_of per pair");
}
