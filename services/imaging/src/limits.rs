/// How large an image may be; `0` in any field means no limit on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_width: u32,
    pub max_height: u32,
    pub max_pixels: u64,
    pub max_frames: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_width: 10_000,
            max_height: 10_000,
            max_pixels: 40_000_000,
            max_frames: 100,
        }
    }
}
