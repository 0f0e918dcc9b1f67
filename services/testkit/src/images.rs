/// A file `len` bytes long whose first bytes are the real signature of the
/// format named by `mime` (the rest is filler): what `complete` must accept.
pub fn sample_image_of_len(mime: &str, len: usize) -> Vec<u8> {
    let head: &[u8] = match mime {
        "image/jpeg" => b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00",
        "image/png" => b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00",
        "image/webp" => b"RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00",
        "image/avif" => b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf",
        "image/gif" => b"GIF89a\x01\x00\x01\x00\x80\x00\x00",
        other => panic!("no sample for {other}"),
    };
    let mut bytes = head.to_vec();
    bytes.resize(len.max(head.len()), 0);
    bytes
}

/// A real, decodable 16×16 PNG.
pub fn sample_image() -> Vec<u8> {
    include_bytes!("../assets/gradient-16x16.png").to_vec()
}

/// A real, decodable image of the format named by `mime`, made by ImageMagick
/// (`assets/make.sh`).
pub fn real_image_of(mime: &str) -> Vec<u8> {
    match mime {
        "image/jpeg" => include_bytes!("../assets/photo.jpg").to_vec(),
        "image/png" => sample_image(),
        "image/webp" => include_bytes!("../assets/image.webp").to_vec(),
        "image/avif" => include_bytes!("../assets/image.avif").to_vec(),
        "image/gif" => include_bytes!("../assets/image.gif").to_vec(),
        other => panic!("no sample for {other}"),
    }
}

/// A 60×40 JPEG stored landscape with EXIF orientation 6 (shown 40×60),
/// carrying a GPS position, `Make=imgupPhone`, `SerialNumber=SN-0042`,
/// `Artist=Jane Secret` and a comment, all written by exiftool.
pub fn phone_photo() -> Vec<u8> {
    include_bytes!("../assets/phone.jpg").to_vec()
}

/// What exiftool (Debian `libimage-exiftool-perl`) finds in `bytes`, every
/// group and duplicate included (`-a -G1`), as its JSON object.
pub fn exif_tags(bytes: &[u8]) -> serde_json::Value {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("exiftool")
        .args(["-j", "-a", "-G1", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("exiftool is needed (apt-get install libimage-exiftool-perl)");
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(bytes)
        .expect("exiftool reads the image");
    let out = child.wait_with_output().expect("exiftool runs");
    let tags: serde_json::Value = serde_json::from_slice(&out.stdout).expect("exiftool JSON");
    tags[0].clone()
}
