//! Leader election with a `coordination.k8s.io/v1` Lease, so that two
//! replicas of the operator are safe: only the holder reconciles.
//!
//! Taking or renewing the Lease is a `replace` carrying the Lease's
//! `resourceVersion`, so two candidates racing for it cannot both win (the
//! loser gets a 409 Conflict). A holder that cannot renew within the lease
//! duration stops; the process exits and Kubernetes restarts it as a
//! candidate.
//!
//! Whether another holder's lease ran out is judged, as client-go does, by
//! this replica's own clock only: the lease has expired when its record
//! (holder and renew time) has not changed for a lease duration since this
//! replica first saw it, never by comparing the holder's `renewTime` with the
//! local clock, which would hand the lease over early whenever the two
//! nodes' clocks disagree.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::Api;
use kube::api::PostParams;

#[derive(Clone)]
pub struct LeaderElector {
    api: Api<Lease>,
    name: String,
    identity: String,
    duration: Duration,
    /// Another holder's record as last seen, and when (by the local clock)
    /// it was first seen like that.
    observed: Arc<Mutex<Option<(String, Timestamp)>>>,
}

fn is_conflict(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 409)
}

impl LeaderElector {
    pub fn new(api: Api<Lease>, name: &str, identity: &str, duration: Duration) -> Self {
        Self {
            api,
            name: name.into(),
            identity: identity.into(),
            duration,
            observed: Arc::default(),
        }
    }

    pub fn identity(&self) -> &str {
        &self.identity
    }

    /// One attempt to take or renew the Lease. `Ok(true)` when this replica
    /// holds it afterwards.
    pub async fn try_acquire(&self, now: Timestamp) -> Result<bool, kube::Error> {
        let secs = i32::try_from(self.duration.as_secs()).unwrap_or(i32::MAX);
        let Some(mut lease) = self.api.get_opt(&self.name).await? else {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(self.name.clone()),
                    ..ObjectMeta::default()
                },
                spec: Some(LeaseSpec {
                    holder_identity: Some(self.identity.clone()),
                    lease_duration_seconds: Some(secs),
                    acquire_time: Some(MicroTime(now)),
                    renew_time: Some(MicroTime(now)),
                    lease_transitions: Some(0),
                    ..LeaseSpec::default()
                }),
            };
            return match self.api.create(&PostParams::default(), &lease).await {
                Ok(_) => Ok(true),
                Err(kube::Error::Api(s)) if s.code == 409 => Ok(false),
                Err(e) => Err(e),
            };
        };
        let spec = lease.spec.get_or_insert_with(LeaseSpec::default);
        let holder = spec.holder_identity.clone().filter(|h| !h.is_empty());
        let mine = holder.as_deref() == Some(self.identity.as_str());
        let held_for =
            SignedDuration::from_secs(spec.lease_duration_seconds.unwrap_or(secs).into());
        let expired = !mine && holder.is_some() && {
            let record = format!("{holder:?}@{:?}", spec.renew_time);
            let mut observed = self.observed.lock().unwrap_or_else(|e| e.into_inner());
            match observed.as_ref() {
                Some((seen, since)) if *seen == record => {
                    since.checked_add(held_for).is_ok_and(|end| end <= now)
                }
                _ => {
                    *observed = Some((record, now));
                    false
                }
            }
        };
        if !(mine || holder.is_none() || expired) {
            return Ok(false);
        }
        if !mine {
            spec.acquire_time = Some(MicroTime(now));
            spec.lease_transitions = Some(spec.lease_transitions.unwrap_or(0) + 1);
        }
        spec.holder_identity = Some(self.identity.clone());
        spec.renew_time = Some(MicroTime(now));
        spec.lease_duration_seconds = Some(secs);
        match self
            .api
            .replace(&self.name, &PostParams::default(), &lease)
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if is_conflict(&e) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Give the Lease up (on shutdown), so that another replica takes over
    /// at once instead of after the lease duration.
    pub async fn release(&self) -> Result<(), kube::Error> {
        let Some(mut lease) = self.api.get_opt(&self.name).await? else {
            return Ok(());
        };
        let spec = lease.spec.get_or_insert_with(LeaseSpec::default);
        if spec.holder_identity.as_deref() != Some(self.identity.as_str()) {
            return Ok(());
        }
        spec.holder_identity = None;
        match self
            .api
            .replace(&self.name, &PostParams::default(), &lease)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if is_conflict(&e) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Waits until this replica holds the Lease.
    pub async fn acquire(&self) {
        let retry = self.duration / 5;
        loop {
            match self.try_acquire(Timestamp::now()).await {
                Ok(true) => return,
                Ok(false) => tracing::debug!("lease {} held by another replica", self.name),
                Err(e) => tracing::warn!("lease {}: {e}", self.name),
            }
            tokio::time::sleep(retry).await;
        }
    }

    /// Renews the Lease until a renewal fails for longer than the lease
    /// duration or another replica took it; then returns.
    pub async fn hold(&self) {
        let every = self.duration / 3;
        let mut last_ok = tokio::time::Instant::now();
        loop {
            tokio::time::sleep(every).await;
            match self.try_acquire(Timestamp::now()).await {
                Ok(true) => last_ok = tokio::time::Instant::now(),
                Ok(false) => {
                    tracing::error!("lease {} taken by another replica", self.name);
                    return;
                }
                Err(e) => {
                    tracing::warn!("renewing lease {}: {e}", self.name);
                    if last_ok.elapsed() > self.duration {
                        tracing::error!("could not renew lease {} in time", self.name);
                        return;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::FakeApi;

    const PATH: &str = "/apis/coordination.k8s.io/v1/namespaces/imgup-system/leases/imgup-operator";

    fn elector(fake: &FakeApi, id: &str) -> LeaderElector {
        let api: Api<Lease> = Api::namespaced(fake.client(), "imgup-system");
        LeaderElector::new(api, "imgup-operator", id, Duration::from_secs(15))
    }

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(1_700_000_000 + s).unwrap()
    }

    #[tokio::test]
    async fn first_candidate_creates_the_lease_and_second_waits() {
        let fake = FakeApi::new();
        let a = elector(&fake, "pod-a");
        let b = elector(&fake, "pod-b");
        assert!(a.try_acquire(t(0)).await.unwrap());
        assert!(!b.try_acquire(t(5)).await.unwrap(), "b took a fresh lease");
        assert!(a.try_acquire(t(10)).await.unwrap(), "holder renews");
        let lease = fake.get(PATH).unwrap();
        assert_eq!(lease["spec"]["holderIdentity"], "pod-a");
        assert_eq!(lease["spec"]["leaseTransitions"], 0);
        assert_eq!(
            fake.take_log(),
            vec![
                format!("GET {PATH}"),
                "POST /apis/coordination.k8s.io/v1/namespaces/imgup-system/leases".into(),
                format!("GET {PATH}"),
                format!("GET {PATH}"),
                format!("PUT {PATH}"),
            ]
        );
    }

    #[tokio::test]
    async fn an_expired_lease_is_taken_over_and_counted() {
        let fake = FakeApi::new();
        let a = elector(&fake, "pod-a");
        let b = elector(&fake, "pod-b");
        assert!(a.try_acquire(t(0)).await.unwrap());
        assert!(
            !b.try_acquire(t(16)).await.unwrap(),
            "b has only just seen the lease: it waits a lease duration of its own"
        );
        assert!(
            b.try_acquire(t(31)).await.unwrap(),
            "unchanged for 15 s by b's clock"
        );
        let lease = fake.get(PATH).unwrap();
        assert_eq!(lease["spec"]["holderIdentity"], "pod-b");
        assert_eq!(lease["spec"]["leaseTransitions"], 1);
        assert!(
            !a.try_acquire(t(32)).await.unwrap(),
            "a must not steal it back"
        );
    }

    #[tokio::test]
    async fn a_holder_whose_clock_is_an_hour_behind_keeps_the_lease_while_it_renews() {
        let fake = FakeApi::new();
        let a = elector(&fake, "pod-a");
        let b = elector(&fake, "pod-b");
        // a's renewTime is an hour in b's past at every renewal.
        assert!(a.try_acquire(t(-3600)).await.unwrap());
        for s in (0..60).step_by(5) {
            assert!(
                !b.try_acquire(t(s)).await.unwrap(),
                "b took a live lease at {s}s"
            );
            assert!(a.try_acquire(t(s - 3600 + 2)).await.unwrap());
        }
        // a stops renewing: b takes over a lease duration later, by its own clock.
        assert!(!b.try_acquire(t(60)).await.unwrap());
        assert!(b.try_acquire(t(76)).await.unwrap());
    }

    #[tokio::test]
    async fn a_lost_race_is_a_conflict_not_a_win() {
        let fake = FakeApi::new();
        let a = elector(&fake, "pod-a");
        assert!(a.try_acquire(t(0)).await.unwrap());
        // Another writer bumps the resourceVersion between our GET and PUT.
        fake.fail_next(&format!("PUT {PATH}"), 409, "Conflict");
        assert!(!a.try_acquire(t(16)).await.unwrap());
    }

    #[tokio::test]
    async fn release_hands_the_lease_over_at_once() {
        let fake = FakeApi::new();
        let a = elector(&fake, "pod-a");
        let b = elector(&fake, "pod-b");
        assert!(a.try_acquire(t(0)).await.unwrap());
        a.release().await.unwrap();
        assert_eq!(fake.get(PATH).unwrap()["spec"].get("holderIdentity"), None);
        assert!(b.try_acquire(t(1)).await.unwrap());
    }
}
