//! The live cluster picture: nodes with their pods, deployments → ReplicaSets → pods, services and
//! the pods they select, and the events timeline with the simulated clock (pause, resume,
//! fast-forward). The server pushes a new [`ClusterView`] over Server-Sent Events whenever the
//! cluster changes. Clicking any object shows its `kubectl describe` (with its events) in a panel.

use leptos::prelude::*;

use crate::api;
use crate::view::{status_class, ClusterView, PodView};

#[component]
pub fn ClusterPane(session: String) -> impl IntoView {
    let cluster = RwSignal::new(ClusterView::default());
    let selected = RwSignal::new(None::<(String, String)>);
    let details = RwSignal::new(String::new());
    subscribe(&session, cluster);

    // Shows `kubectl describe <kind> <name>` in the details panel; the namespace is empty for
    // cluster-scoped kinds (nodes).
    let describe = {
        let session = session.clone();
        move |kind: &'static str, namespace: String, name: String| {
            selected.set(Some((kind.to_string(), name.clone())));
            details.set("…".into());
            let session = session.clone();
            leptos::task::spawn_local(async move {
                let line = if namespace.is_empty() {
                    format!("kubectl describe {kind} {name}")
                } else {
                    format!("kubectl describe {kind} {name} -n {namespace}")
                };
                let text = match api::shell(&session, &line).await {
                    Ok(out) => format!("$ {line}\n{}{}", out.stdout, out.stderr),
                    Err(e) => e,
                };
                details.set(text);
            });
        }
    };
    let describe = StoredValue::new(describe);
    let pod_chip = move |pod: PodView| {
        let class = format!("pod {}", status_class(&pod.status));
        let label = format!("Pod {} {} {}", pod.name, pod.status, pod.ready);
        let (ns, name) = (pod.namespace.clone(), pod.name.clone());
        view! {
            <button class=class aria-label=label title=pod.status.clone() data-pod=pod.name.clone()
                on:click=move |_| describe.with_value(|d| d("pod", ns.clone(), name.clone()))>
                <span class="pod-name">{pod.name.clone()}</span>
                <span class="pod-status">{pod.status.clone()}</span>
                {(pod.restarts > 0).then(|| view! { <span class="pod-restarts">{format!("↻{}", pod.restarts)}</span> })}
            </button>
        }
    };

    view! {
        <section class="cluster pane" id="pane-cluster" aria-label="Cluster">
            <h2 class="pane-title">"Cluster"</h2>
            <Clock session=session.clone() cluster=cluster/>
            <div class="cluster-scroll">
                <h3>"Nodes"</h3>
                <div class="nodes">
                    {move || cluster.with(|c| c.nodes.iter().map(|node| {
                        // The learner's pods up front; the control plane's own (kube-system) folded away.
                        let (system, pods): (Vec<PodView>, Vec<PodView>) = c.pods.iter()
                            .filter(|p| p.node.as_deref() == Some(node.name.as_str()))
                            .cloned()
                            .partition(|p| p.namespace == "kube-system");
                        let system_failing = system.iter().any(|p| status_class(&p.status) == "failing");
                        let ready = if node.status == "Ready" { "node ok" } else { "node failing" };
                        let name = node.name.clone();
                        view! {
                            <div class=ready aria-label=format!("Node {}", node.name) data-node=node.name.clone()>
                                <div class="node-head">
                                    <button class="link object" data-describe=format!("node/{}", node.name)
                                        on:click=move |_| describe.with_value(|d| d("node", String::new(), name.clone()))>
                                        <strong>{node.name.clone()}</strong>
                                    </button>
                                    <span>{node.status.clone()}</span>
                                    <span class="muted">{node.roles.clone()}</span>
                                </div>
                                <div class="pods">{pods.into_iter().map(pod_chip).collect_view()}</div>
                                {(!system.is_empty()).then(|| view! {
                                    <details class="system-pods" open=system_failing>
                                        <summary>{format!("{} kube-system pods", system.len())}</summary>
                                        <div class="pods">{system.into_iter().map(pod_chip).collect_view()}</div>
                                    </details>
                                })}
                            </div>
                        }
                    }).collect_view())}
                    {move || cluster.with(|c| {
                        let pending: Vec<PodView> = c.pods.iter().filter(|p| p.node.is_none()).cloned().collect();
                        (!pending.is_empty()).then(|| view! {
                            <div class="node unscheduled" aria-label="Not scheduled">
                                <div class="node-head"><strong>"Not scheduled"</strong></div>
                                <div class="pods">{pending.into_iter().map(pod_chip).collect_view()}</div>
                            </div>
                        })
                    })}
                </div>
                <Workloads cluster=cluster describe=describe/>
                <Services cluster=cluster describe=describe/>
                <h3>"Events"</h3>
                <ol class="events" aria-label="Events">
                    {move || cluster.with(|c| c.events.iter().rev().map(|e| {
                        let class = if e.type_ == "Warning" { "event warning" } else { "event" };
                        view! {
                            <li class=class>
                                <span class="event-time">{short_time(&e.time)}</span>
                                <span class="event-reason">{e.reason.clone()}</span>
                                <span class="event-object">{e.object.clone()}</span>
                                <span class="event-message">{e.message.clone()}</span>
                            </li>
                        }
                    }).collect_view())}
                </ol>
            </div>
            // Over the lower part of the pane, so it shows wherever the clicked object was.
            <Show when=move || selected.get().is_some()>
                <div class="details" role="region" aria-label="Details">
                    <div class="details-head">
                        <strong>{move || selected.get().map(|(k, n)| format!("{k}/{n}")).unwrap_or_default()}</strong>
                        <button class="button small" on:click=move |_| selected.set(None)
                            aria-label="Close the details">"Close"</button>
                    </div>
                    <pre class="code">{move || details.get()}</pre>
                </div>
            </Show>
        </section>
    }
}

/// Deployments → ReplicaSets → pods, and bare ReplicaSets.
#[component]
fn Workloads<F>(cluster: RwSignal<ClusterView>, describe: StoredValue<F>) -> impl IntoView
where
    F: Fn(&'static str, String, String) + Send + Sync + 'static,
{
    view! {
        {move || cluster.with(|c| (!c.deployments.is_empty()).then(|| view! { <h3>"Deployments"</h3> }))}
        <ul class="tree">
            {move || cluster.with(|c| c.deployments.iter().map(|d| {
                let (ns, name) = (d.namespace.clone(), d.name.clone());
                let class = if d.ready < d.replicas { "workload degraded" } else { "workload" };
                let sets: Vec<_> = c.replicasets.iter()
                    .filter(|rs| rs.namespace == d.namespace && rs.deployment.as_deref() == Some(d.name.as_str()))
                    .map(|rs| {
                        let pods: Vec<_> = c.pods.iter()
                            .filter(|p| p.namespace == rs.namespace && p.owner.as_deref() == Some(rs.name.as_str()))
                            .map(|p| view! { <span class=format!("dot {}", status_class(&p.status)) title=format!("{} {}", p.name, p.status)></span> })
                            .collect_view();
                        let (ns, name) = (rs.namespace.clone(), rs.name.clone());
                        let class = if rs.ready < rs.replicas { "rs degraded" } else { "rs" };
                        view! {
                            <li class=class>
                                <button class="link object" data-describe=format!("replicaset/{}", rs.name)
                                    on:click=move |_| describe.with_value(|f| f("replicaset", ns.clone(), name.clone()))>
                                    {format!("replicaset/{}", rs.name)}
                                </button>
                                <span class="muted">{format!(" {}/{}", rs.ready, rs.replicas)}</span>
                                <span class="dots">{pods}</span>
                            </li>
                        }
                    }).collect_view();
                view! {
                    <li class=class>
                        <button class="link object" data-describe=format!("deployment/{}", d.name)
                            on:click=move |_| describe.with_value(|f| f("deployment", ns.clone(), name.clone()))>
                            {format!("deployment/{}", d.name)}
                        </button>
                        <span class="muted">{format!(" {}/{} ready", d.ready, d.replicas)}</span>
                        <ul>{sets}</ul>
                    </li>
                }
            }).collect_view())}
        </ul>
    }
}

/// Services and the pods their selectors pick: the path traffic takes.
#[component]
fn Services<F>(cluster: RwSignal<ClusterView>, describe: StoredValue<F>) -> impl IntoView
where
    F: Fn(&'static str, String, String) + Send + Sync + 'static,
{
    view! {
        {move || cluster.with(|c| (!c.services.is_empty()).then(|| view! { <h3>"Services"</h3> }))}
        <ul class="services">
            {move || cluster.with(|c| c.services.iter().map(|s| {
                let class = if s.pods.is_empty() && s.name != "kubernetes" { "service failing" } else { "service" };
                let (ns, name) = (s.namespace.clone(), s.name.clone());
                view! {
                    <li class=class>
                        <button class="link object" data-describe=format!("service/{}", s.name)
                            on:click=move |_| describe.with_value(|f| f("service", ns.clone(), name.clone()))>
                            <strong>{format!("service/{}", s.name)}</strong>
                        </button>
                        <span class="muted">{format!(" {} {} {}", s.type_, s.cluster_ip, s.ports)}</span>
                        <div class="traffic">
                            {if s.pods.is_empty() {
                                view! { <span class="muted">"→ no endpoints"</span> }.into_any()
                            } else {
                                view! { <span>{format!("→ {}", s.pods.join(", "))}</span> }.into_any()
                            }}
                        </div>
                    </li>
                }
            }).collect_view())}
        </ul>
    }
}

/// The simulated clock: its time, pause / resume, and fast-forward.
#[component]
fn Clock(session: String, cluster: RwSignal<ClusterView>) -> impl IntoView {
    let url = format!("/api/sessions/{session}/clock");
    let error = RwSignal::new(None::<String>);
    let paused = RwSignal::new(false);
    // The clock's state as the page opens (it may have been paused before a refresh).
    Effect::new({
        let url = url.clone();
        move |_| {
            let url = url.clone();
            leptos::task::spawn_local(async move {
                if let Ok(state) = api::get_json(&url).await {
                    paused.set(state["paused"].as_bool().unwrap_or(false));
                }
            });
        }
    });
    let change = StoredValue::new(move |body: serde_json::Value| {
        let url = url.clone();
        leptos::task::spawn_local(async move {
            match api::post_json(&url, &body).await {
                Ok(state) => {
                    paused.set(state["paused"].as_bool().unwrap_or(false));
                    error.set(None);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    });
    let advance = move |seconds: u64| {
        move |_| change.with_value(|f| f(serde_json::json!({ "advance_seconds": seconds })))
    };
    let toggle = move |_| {
        let pause = !paused.get_untracked();
        change.with_value(|f| f(serde_json::json!({ "paused": pause })))
    };
    view! {
        <div class="clock" class:paused=move || paused.get() role="group" aria-label="Simulated clock">
            <span class="clock-now" title=move || cluster.with(|c| format!("Simulated time: {}", c.now))
                aria-label="Simulated time">
                {move || cluster.with(|c| short_time(&c.now))}
            </span>
            <Show when=move || paused.get()>
                <span class="clock-paused" role="status">"paused"</span>
            </Show>
            <button class="button small" id="clock-pause" on:click=toggle
                aria-pressed=move || paused.get().to_string()
                aria-label="Pause the simulated clock"
                title="Pause or resume the simulated clock">
                {move || if paused.get() { "Resume" } else { "Pause" }}
            </button>
            <button class="button small" on:click=advance(10) aria-label="Fast-forward 10 seconds">"+10s"</button>
            <button class="button small" on:click=advance(60) aria-label="Fast-forward 1 minute">"+1m"</button>
            <button class="button small" on:click=advance(300) aria-label="Fast-forward 5 minutes">"+5m"</button>
            {move || error.get().map(|e| view! { <span class="error" role="status">{e}</span> })}
        </div>
    }
}

/// `HH:MM:SS` of an RFC 3339 time.
fn short_time(time: &str) -> String {
    time.split('T')
        .nth(1)
        .map(|t| t.chars().take(8).collect())
        .unwrap_or_default()
}

/// Subscribes to the session's cluster stream (browser only).
fn subscribe(session: &str, cluster: RwSignal<ClusterView>) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::prelude::*;
        let url = format!("/api/sessions/{session}/cluster/stream");
        Effect::new(move |_| {
            let Ok(source) = web_sys::EventSource::new(&url) else {
                return;
            };
            let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
                move |event: web_sys::MessageEvent| {
                    if let Some(text) = event.data().as_string() {
                        if let Ok(view) = serde_json::from_str::<ClusterView>(&text) {
                            cluster.set(view);
                        }
                    }
                },
            );
            source.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            // The page lives as long as the subscription does.
            on_message.forget();
            std::mem::forget(source);
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (session, cluster);
}
