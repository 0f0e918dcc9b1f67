//! Just enough of ICC profiles to decide whether one belongs in a variant.

/// The profile's data colour space signature ("RGB ", "GRAY", "CMYK", ...).
pub(crate) fn color_space(profile: &[u8]) -> Option<&[u8]> {
    profile.get(16..20)
}

/// True for a well-formed RGB profile that is not sRGB (by its description),
/// i.e. one a browser must know to show the pixels right (Display P3,
/// Adobe RGB, ProPhoto...). sRGB is the default and not worth the bytes.
pub(crate) fn is_wide_rgb(profile: &[u8]) -> bool {
    color_space(profile) == Some(b"RGB ") && !description(profile).is_some_and(mentions_srgb)
}

fn description(profile: &[u8]) -> Option<&[u8]> {
    let be =
        |at: usize| Some(u32::from_be_bytes(profile.get(at..at + 4)?.try_into().ok()?) as usize);
    let count = be(128)?.min(1024);
    (0..count).find_map(|i| {
        let at = 132 + i * 12;
        if profile.get(at..at + 4)? != b"desc" {
            return None;
        }
        let (offset, size) = (be(at + 4)?, be(at + 8)?);
        profile.get(offset..offset.checked_add(size)?)
    })
}

fn mentions_srgb(desc: &[u8]) -> bool {
    desc.windows(4).any(|w| w == b"sRGB") || desc.windows(8).any(|w| w == b"\0s\0R\0G\0B")
}
