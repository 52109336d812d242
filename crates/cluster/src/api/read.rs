//! GET, LIST and WATCH.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine;
use serde_json::json;

use super::{scope_namespace, User};
use crate::object::Object;
use crate::resources::ResourceType;
use crate::selector::{FieldSelector, LabelSelectorSet};
use crate::status::Status;
use crate::store::{EventType, Key, WatchEvent};
use crate::Cluster;

/// The query parameters of a list or watch.
#[derive(Clone, Debug, Default)]
pub struct ListOptions {
    pub label_selector: String,
    pub field_selector: String,
    /// `?limit=`: at most this many items per page (0 or `None`: no limit).
    pub limit: Option<usize>,
    /// `?continue=`: the token of the previous page.
    pub continue_token: Option<String>,
    /// `?resourceVersion=`: for watches, the version to start after (`""`/`"0"`: start with the
    /// current state as ADDED events).
    pub resource_version: Option<String>,
}

/// One page of a list.
#[derive(Clone, Debug, PartialEq)]
pub struct ListResult {
    pub items: Vec<Arc<Object>>,
    /// The list's `metadata.resourceVersion`.
    pub resource_version: u64,
    /// `metadata.continue`, when more items remain.
    pub continue_token: Option<String>,
    /// `metadata.remainingItemCount`, known only for lists without selectors.
    pub remaining_item_count: Option<u64>,
}

/// The real continue token: base64 of `{"v":"meta.k8s.io/v1","rv":N,"start":"<key>\u0000"}`.
fn encode_continue(rv: u64, ns: &str, name: &str) -> String {
    let start = if ns.is_empty() {
        format!("{name}\u{0}")
    } else {
        format!("{ns}/{name}\u{0}")
    };
    let token = json!({"v": "meta.k8s.io/v1", "rv": rv, "start": start});
    base64::engine::general_purpose::URL_SAFE.encode(token.to_string())
}

fn decode_continue(token: &str) -> Result<(String, String), Status> {
    let bad = |detail: &str| Status::bad_request(format!("continue key is not valid: {detail}"));
    let raw = base64::engine::general_purpose::URL_SAFE
        .decode(token)
        .or_else(|_| base64::engine::general_purpose::STANDARD.decode(token))
        .map_err(|_| bad("incorrect encoded start resourceVersion (version meta.k8s.io/v1)"))?;
    let v: serde_json::Value =
        serde_json::from_slice(&raw).map_err(|_| bad("invalid continue token"))?;
    if v["v"] != "meta.k8s.io/v1" {
        return Err(bad("server does not recognize this encoded key"));
    }
    let start = v["start"]
        .as_str()
        .unwrap_or_default()
        .trim_end_matches('\u{0}');
    Ok(match start.split_once('/') {
        Some((ns, name)) => (ns.to_string(), name.to_string()),
        None => (String::new(), start.to_string()),
    })
}

impl Cluster {
    /// GET of one object, as `user`.
    pub fn get_with(
        &self,
        user: &User,
        rt: &'static ResourceType,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Arc<Object>, Status> {
        let ns = scope_namespace(rt, namespace)?;
        self.authorize(user, "get", rt, None, ns.as_deref(), Some(name))?;
        self.get(rt, ns.as_deref(), name)
    }

    /// LIST with label and field selectors and real limit/continue paging. `namespace: None`
    /// lists across all namespaces.
    pub fn list_with(
        &self,
        user: &User,
        rt: &'static ResourceType,
        namespace: Option<&str>,
        opts: &ListOptions,
    ) -> Result<ListResult, Status> {
        self.authorize(user, "list", rt, None, namespace, None)?;
        let labels = LabelSelectorSet::parse(&opts.label_selector)?;
        let fields = FieldSelector::parse(rt.kind, &opts.field_selector)?;
        let start = match opts.continue_token.as_deref().filter(|t| !t.is_empty()) {
            Some(t) => Some(decode_continue(t)?),
            None => None,
        };
        let limit = opts.limit.filter(|l| *l > 0).unwrap_or(usize::MAX);
        let rv = self.store.resource_version();
        let unfiltered = labels.is_empty() && fields.is_empty();
        let mut items = Vec::new();
        let mut iter = self
            .store
            .list(rt.kind, namespace)
            .filter(|o| match &start {
                // Keys after the token's start key, in (namespace, name) order.
                Some((ns, name)) => {
                    (o.namespace().unwrap_or_default(), o.name()) > (ns.as_str(), name.as_str())
                }
                None => true,
            })
            .filter(|o| labels.matches(o.labels()) && fields.matches(o));
        for o in iter.by_ref() {
            items.push(o.clone());
            if items.len() == limit {
                break;
            }
        }
        let mut continue_token = None;
        let mut remaining_item_count = None;
        if items.len() == limit {
            let rest = iter.count();
            if rest > 0 {
                let last = items.last().expect("limit > 0");
                continue_token = Some(encode_continue(
                    rv,
                    last.namespace().unwrap_or_default(),
                    last.name(),
                ));
                if unfiltered {
                    remaining_item_count = Some(rest as u64);
                }
            }
        }
        Ok(ListResult {
            items,
            resource_version: rv,
            continue_token,
            remaining_item_count,
        })
    }

    /// WATCH: the events after `opts.resource_version` for this type, namespace and selectors.
    /// Without a resourceVersion (or `"0"`), the current objects come first as ADDED events, as
    /// the real watch cache sends them. A version older than the retained history fails with
    /// 410 Expired: `too old resource version: 5 (2345)`. The caller continues the watch by
    /// calling again with the last event's resourceVersion.
    pub fn watch(
        &self,
        user: &User,
        rt: &'static ResourceType,
        namespace: Option<&str>,
        opts: &ListOptions,
    ) -> Result<Vec<WatchEvent>, Status> {
        self.authorize(user, "watch", rt, None, namespace, None)?;
        let labels = LabelSelectorSet::parse(&opts.label_selector)?;
        let fields = FieldSelector::parse(rt.kind, &opts.field_selector)?;
        let selected = |o: &Object| labels.matches(o.labels()) && fields.matches(o);
        let since = opts.resource_version.as_deref().unwrap_or_default();
        if since.is_empty() || since == "0" {
            let rv = self.store.resource_version();
            return Ok(self
                .store
                .list(rt.kind, namespace)
                .filter(|o| selected(o))
                .map(|o| WatchEvent {
                    resource_version: o
                        .meta()
                        .resource_version
                        .as_deref()
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(rv),
                    event_type: EventType::Added,
                    object: o.clone(),
                })
                .collect());
        }
        let since: u64 = since.parse().map_err(|_| {
            Status::bad_request(format!(
                "resourceVersion: Invalid value: \"{since}\": must be a valid resource version"
            ))
        })?;
        let events: Vec<WatchEvent> = self
            .store
            .events_since(since)
            .ok_or_else(|| {
                Status::expired(format!(
                    "too old resource version: {since} ({})",
                    self.store.oldest_watchable() + 1
                ))
            })?
            .filter(|c| c.is(rt.kind, namespace))
            .map(|c| c.event())
            .collect();
        if labels.is_empty() && fields.is_empty() {
            return Ok(events);
        }
        // With selectors, an object entering the selection is ADDED for this watcher and one
        // leaving it is DELETED, as the watch cache reports them. Whether an object was selected
        // before the first event comes from its state just before that event.
        let mut was_selected: HashMap<Key, bool> = HashMap::new();
        let mut out = Vec::new();
        for e in events {
            let key = Key::of(&e.object);
            let before = *was_selected
                .entry(key.clone())
                .or_insert_with(|| match e.event_type {
                    EventType::Added => false,
                    _ => self
                        .store
                        .state_before(&key, e.resource_version)
                        .is_some_and(|o| selected(&o)),
                });
            let now = e.event_type != EventType::Deleted && selected(&e.object);
            let event_type = match (before, now, e.event_type) {
                (true, _, EventType::Deleted) => Some(EventType::Deleted),
                (false, true, _) => Some(EventType::Added),
                (true, true, _) => Some(EventType::Modified),
                (true, false, _) => Some(EventType::Deleted),
                (false, false, _) => None,
            };
            if let Some(event_type) = event_type {
                out.push(WatchEvent {
                    resource_version: e.resource_version,
                    event_type,
                    object: e.object.clone(),
                });
            }
            was_selected.insert(key, now);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continue_tokens_round_trip() {
        let t = encode_continue(42, "default", "web-1");
        assert_eq!(
            decode_continue(&t).unwrap(),
            ("default".into(), "web-1".into())
        );
        assert_eq!(decode_continue("!!").unwrap_err().code, 400);
    }
}
