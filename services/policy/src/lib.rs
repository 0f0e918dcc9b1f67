//! What imgup accepts as an upload, decided in one place so that the API, the
//! embedded mode and the admin app agree.

mod disposition;
mod format;
mod key;
mod request;

pub use disposition::{attachment, download_name};
pub use format::{ImageFormat, UnknownMimeType, parse_mime_list};
pub use key::{InvalidObjectKey, KeyMinter, ObjectKey};
pub use request::{UploadPolicy, UploadRequest, ValidatedUpload, ValidationError};

/// The seed's limit: 10 MiB.
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 10 * 1024 * 1024;
