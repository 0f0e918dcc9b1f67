//! The reconciler's errors. A spec problem is not an error (it becomes a
//! status condition); what is left are API failures, retried with backoff.

#[derive(thiserror::Error, Debug)]
pub enum Error {
    #[error("kubernetes API: {0}")]
    Kube(#[from] kube::Error),

    #[error("finalizer: {0}")]
    Finalizer(#[source] Box<kube::runtime::finalizer::Error<Error>>),

    #[error("ImageUploadStack has no namespace")]
    NoNamespace,
}

impl Error {
    /// A short, bounded label for the errors metric.
    pub fn metric_label(&self) -> String {
        use kube::runtime::finalizer::Error as F;
        match self {
            Error::Kube(kube::Error::Api(s)) => format!("api_{}", s.code),
            Error::Kube(_) => "transport".into(),
            Error::Finalizer(f) => match f.as_ref() {
                F::ApplyFailed(e) | F::CleanupFailed(e) => e.metric_label(),
                F::AddFinalizer(_) | F::RemoveFinalizer(_) => "finalizer_patch".into(),
                F::UnnamedObject | F::InvalidFinalizer => "finalizer".into(),
            },
            Error::NoNamespace => "no_namespace".into(),
        }
    }
}
