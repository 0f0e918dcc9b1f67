use std::fmt;
use std::str::FromStr;

/// One variant to render: its name and the length of its long side in pixels
/// (never upscaled: a smaller image keeps its size).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preset {
    pub name: String,
    pub long_side: u32,
}

/// The presets, parsed from `IMAGE_VARIANTS` (`thumb=320,medium=1280`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presets(pub Vec<Preset>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidPresets(String);

impl Default for Presets {
    fn default() -> Self {
        "thumb=320,medium=1280"
            .parse()
            .expect("the default presets parse")
    }
}

impl FromStr for Presets {
    type Err = InvalidPresets;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut presets: Vec<Preset> = Vec::new();
        for item in s.split(',').map(str::trim).filter(|item| !item.is_empty()) {
            let (name, side) = item.split_once('=').ok_or_else(|| {
                InvalidPresets(format!("{item:?} is not name=long_side (e.g. thumb=320)"))
            })?;
            let name = name.trim();
            let name_ok = !name.is_empty()
                && name.len() <= 32
                && name.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-'
                });
            if !name_ok {
                return Err(InvalidPresets(format!(
                    "preset name {name:?} must be 1 to 32 of a-z, 0-9, _ and -"
                )));
            }
            let long_side: u32 = side
                .trim()
                .parse()
                .ok()
                .filter(|side| (16..=8192).contains(side))
                .ok_or_else(|| {
                    InvalidPresets(format!(
                        "preset {name}: the long side must be 16 to 8192 px"
                    ))
                })?;
            if presets.iter().any(|p| p.name == name) {
                return Err(InvalidPresets(format!("preset {name} is named twice")));
            }
            presets.push(Preset {
                name: name.to_owned(),
                long_side,
            });
        }
        Ok(Self(presets))
    }
}

impl fmt::Display for Presets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{}={}", p.name, p.long_side)?;
        }
        Ok(())
    }
}

/// The encoding of variants (`VARIANT_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VariantFormat {
    #[default]
    Webp,
    Jpeg,
}

impl VariantFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Webp => "image/webp",
            Self::Jpeg => "image/jpeg",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Webp => "webp",
            Self::Jpeg => "jpg",
        }
    }
}

impl FromStr for VariantFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "webp" => Ok(Self::Webp),
            "jpeg" | "jpg" => Ok(Self::Jpeg),
            other => Err(format!(
                "VARIANT_FORMAT must be webp or jpeg, not {other:?}"
            )),
        }
    }
}
