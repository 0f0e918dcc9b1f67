//! Variants: one decode, resized with `fast_image_resize` (SIMD convolution,
//! Lanczos3) at the image's own pixel type, each preset from the smallest
//! larger result already made (a cascade), then encoded; and the BlurHash.

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{
    FilterType, IntoImageView, MulDiv, PixelType, ResizeAlg, ResizeOptions, Resizer,
};
use image::{DynamicImage, ImageBuffer};

use crate::{Preset, Rejection, RenderedVariant, VariantFormat, encode, icc};

const WEBP_QUALITY: f32 = 80.0;
const JPEG_QUALITY: u8 = 82;
const BLURHASH_SIDE: u32 = 32;

/// A cascade step only starts from an earlier result at least this many
/// times larger than the target, so that quality stays that of one resize.
const CASCADE_FACTOR: u32 = 3;

fn pixel_type(img: &DynamicImage) -> PixelType {
    match img {
        DynamicImage::ImageLuma8(_) => PixelType::U8,
        DynamicImage::ImageLumaA8(_) => PixelType::U8x2,
        DynamicImage::ImageRgb8(_) => PixelType::U8x3,
        DynamicImage::ImageLuma16(_) => PixelType::U16,
        DynamicImage::ImageLumaA16(_) => PixelType::U16x2,
        DynamicImage::ImageRgb16(_) => PixelType::U16x3,
        DynamicImage::ImageRgba16(_) => PixelType::U16x4,
        _ => PixelType::U8x4,
    }
}

/// Pixel types `fast_image_resize` handles; 32-bit float images (which our
/// decoders do not produce) become RGBA16 first.
fn normalize(img: DynamicImage) -> DynamicImage {
    match img {
        DynamicImage::ImageRgb32F(_) | DynamicImage::ImageRgba32F(_) => {
            DynamicImage::ImageRgba16(img.to_rgba16())
        }
        DynamicImage::ImageLuma8(_)
        | DynamicImage::ImageLumaA8(_)
        | DynamicImage::ImageRgb8(_)
        | DynamicImage::ImageRgba8(_)
        | DynamicImage::ImageLuma16(_)
        | DynamicImage::ImageLumaA16(_)
        | DynamicImage::ImageRgb16(_)
        | DynamicImage::ImageRgba16(_) => img,
        other => DynamicImage::ImageRgba8(other.to_rgba8()),
    }
}

/// Whether [`normalize`] would leave `img` as it is.
fn normalized(img: &DynamicImage) -> bool {
    !matches!(
        img,
        DynamicImage::ImageRgb32F(_) | DynamicImage::ImageRgba32F(_)
    ) && (pixel_type(img) != PixelType::U8x4 || matches!(img, DynamicImage::ImageRgba8(_)))
}

fn bytes_mut(img: &mut DynamicImage) -> &mut [u8] {
    match img {
        DynamicImage::ImageLuma8(b) => b,
        DynamicImage::ImageLumaA8(b) => b,
        DynamicImage::ImageRgb8(b) => b,
        DynamicImage::ImageRgba8(b) => b,
        DynamicImage::ImageLuma16(b) => bytemuck::cast_slice_mut(b),
        DynamicImage::ImageLumaA16(b) => bytemuck::cast_slice_mut(b),
        DynamicImage::ImageRgb16(b) => bytemuck::cast_slice_mut(b),
        DynamicImage::ImageRgba16(b) => bytemuck::cast_slice_mut(b),
        DynamicImage::ImageRgb32F(b) => bytemuck::cast_slice_mut(b),
        DynamicImage::ImageRgba32F(b) => bytemuck::cast_slice_mut(b),
        _ => &mut [],
    }
}

fn to_dynamic(img: Image<'_>) -> Option<DynamicImage> {
    let (w, h, pt) = (img.width(), img.height(), img.pixel_type());
    let raw = img.into_vec();
    let wide = || bytemuck::pod_collect_to_vec::<u8, u16>(&raw);
    Some(match pt {
        PixelType::U8 => DynamicImage::ImageLuma8(ImageBuffer::from_raw(w, h, raw)?),
        PixelType::U8x2 => DynamicImage::ImageLumaA8(ImageBuffer::from_raw(w, h, raw)?),
        PixelType::U8x3 => DynamicImage::ImageRgb8(ImageBuffer::from_raw(w, h, raw)?),
        PixelType::U8x4 => DynamicImage::ImageRgba8(ImageBuffer::from_raw(w, h, raw)?),
        PixelType::U16 => DynamicImage::ImageLuma16(ImageBuffer::from_raw(w, h, wide())?),
        PixelType::U16x2 => DynamicImage::ImageLumaA16(ImageBuffer::from_raw(w, h, wide())?),
        PixelType::U16x3 => DynamicImage::ImageRgb16(ImageBuffer::from_raw(w, h, wide())?),
        PixelType::U16x4 => DynamicImage::ImageRgba16(ImageBuffer::from_raw(w, h, wide())?),
        _ => return None,
    })
}

fn internal(e: impl std::fmt::Display) -> Rejection {
    Rejection::unsupported(format!("the image could not be resized: {e}"))
}

/// The size of `(w, h)` with its long side at most `long`: never upscaled,
/// aspect kept, rounded to nearest, at least 1 pixel.
pub(crate) fn fit(w: u32, h: u32, long: u32) -> (u32, u32) {
    let side = w.max(h);
    if side <= long {
        return (w, h);
    }
    let scale = |v: u32| {
        ((u64::from(v) * u64::from(long) + u64::from(side) / 2) / u64::from(side)).max(1) as u32
    };
    (scale(w), scale(h))
}

/// Premultiplied-alpha pixels at one size.
struct Sized {
    img: Image<'static>,
}

struct Pipeline {
    resizer: Resizer,
    options: ResizeOptions,
    muldiv: MulDiv,
    alpha: bool,
}

impl Pipeline {
    fn resize(&mut self, src: &impl IntoImageView, w: u32, h: u32) -> Result<Sized, Rejection> {
        let pt = src
            .pixel_type()
            .ok_or_else(|| internal("unknown pixel type"))?;
        let mut dst = Image::new(w, h, pt);
        self.resizer
            .resize(src, &mut dst, &self.options)
            .map_err(internal)?;
        Ok(Sized { img: dst })
    }

    /// Back to straight alpha, as encoders want it.
    fn finish(&self, mut sized: Image<'static>) -> Result<DynamicImage, Rejection> {
        if self.alpha {
            self.muldiv
                .divide_alpha_inplace(&mut sized)
                .map_err(internal)?;
        }
        to_dynamic(sized).ok_or_else(|| internal("unexpected pixel type"))
    }
}

pub(crate) struct Rendered {
    pub variants: Vec<RenderedVariant>,
    pub blurhash: Option<String>,
    /// Of the image the variants were made from.
    pub width: u32,
    pub height: u32,
}

/// The full-size pixels, in the displayed orientation.
pub(crate) enum Pixels<'a> {
    /// Ours to change: alpha is premultiplied in place rather than in a copy.
    Owned(DynamicImage),
    /// Read-only, as another thread encodes the original from them meanwhile;
    /// for images without alpha only (else they are copied).
    Shared(&'a DynamicImage),
}

/// Renders every preset and the BlurHash.
pub(crate) fn render(
    pixels: Pixels<'_>,
    presets: &[Preset],
    format: VariantFormat,
    icc_profile: Option<&[u8]>,
) -> Result<Rendered, Rejection> {
    let mut img = match pixels {
        Pixels::Shared(img) if !img.color().has_alpha() && normalized(img) => {
            let (w, h) = (img.width(), img.height());
            let src = ImageRef::new(w, h, img.as_bytes(), pixel_type(img)).map_err(internal)?;
            return render_from(&src, false, presets, format, icc_profile);
        }
        Pixels::Shared(img) => normalize(img.clone()),
        Pixels::Owned(img) => normalize(img),
    };
    let (w, h) = (img.width(), img.height());
    let pt = pixel_type(&img);
    let alpha = img.color().has_alpha();
    let mut src = Image::from_slice_u8(w, h, bytes_mut(&mut img), pt).map_err(internal)?;
    if alpha {
        MulDiv::default()
            .multiply_alpha_inplace(&mut src)
            .map_err(internal)?;
    }
    render_from(&src, alpha, presets, format, icc_profile)
}

/// Renders from `src`, whose alpha (if `alpha`) is premultiplied.
fn render_from(
    src: &impl IntoImageView,
    alpha: bool,
    presets: &[Preset],
    format: VariantFormat,
    icc_profile: Option<&[u8]>,
) -> Result<Rendered, Rejection> {
    let (w, h) = (src.width(), src.height());
    let mut pipe = Pipeline {
        resizer: Resizer::new(),
        options: ResizeOptions::new()
            .resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3))
            .use_alpha(false),
        muldiv: MulDiv::default(),
        alpha,
    };

    // Largest first, so that smaller ones can start from a larger result.
    let mut order: Vec<usize> = (0..presets.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(presets[i].long_side));
    let mut sized: Vec<Option<Sized>> = (0..presets.len()).map(|_| None).collect();
    let mut smallest: Option<usize> = None;
    for &i in &order {
        let (tw, th) = fit(w, h, presets[i].long_side);
        let from = smallest
            .and_then(|j| sized[j].as_ref())
            .filter(|s| {
                s.img.width().max(s.img.height()) >= tw.max(th).saturating_mul(CASCADE_FACTOR)
            })
            .map(|s| &s.img);
        let out = match from {
            Some(from) => pipe.resize(from, tw, th)?,
            None => pipe.resize(src, tw, th)?,
        };
        sized[i] = Some(out);
        smallest = Some(i);
    }

    let blurhash = {
        let tiny = match smallest.and_then(|j| sized[j].as_ref()) {
            Some(base) => {
                let (bw, bh) = fit(base.img.width(), base.img.height(), BLURHASH_SIDE);
                pipe.resize(&base.img, bw, bh)?
            }
            None => {
                let (bw, bh) = fit(w, h, BLURHASH_SIDE);
                pipe.resize(src, bw, bh)?
            }
        }
        .img;
        let rgba = pipe.finish(tiny)?.to_rgba8();
        blurhash::encode(4, 3, rgba.width(), rgba.height(), rgba.as_raw()).ok()
    };

    let icc_profile = icc_profile.filter(|p| icc::is_wide_rgb(p));
    let mut variants = Vec::with_capacity(presets.len());
    for (preset, sized) in presets.iter().zip(sized) {
        let sized = sized.ok_or_else(|| internal("a preset was not rendered"))?;
        let pixels = pipe.finish(sized.img)?;
        let bytes = match format {
            VariantFormat::Webp => encode::webp(&pixels, WEBP_QUALITY, false, icc_profile)?,
            VariantFormat::Jpeg => encode::jpeg(&pixels, JPEG_QUALITY, icc_profile)?,
        };
        variants.push(RenderedVariant {
            preset: preset.name.clone(),
            bytes,
            width: pixels.width(),
            height: pixels.height(),
            content_type: format.content_type(),
        });
    }
    Ok(Rendered {
        variants,
        blurhash,
        width: w,
        height: h,
    })
}
