#!/usr/bin/env bash
# Measures imgup-imaging's `process` against libvips doing the same work, on a
# 24-megapixel camera-sized JPEG (as stored, and with EXIF orientation 6), and
# the refusal of a decompression bomb. Prints a Markdown table.
#
#   bench/images.sh            # 3 rounds
#   ROUNDS=5 bench/images.sh
#
# Needs ImageMagick, exiftool, libvips' tools and GNU time:
#   apt-get install -y imagemagick libimage-exiftool-perl libvips-tools time
set -euo pipefail

ROUNDS=${ROUNDS:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/imgup/target} CARGO_INCREMENTAL=0

for tool in /usr/bin/convert /usr/bin/time exiftool vips vipsthumbnail python3; do
    command -v "$tool" >/dev/null || {
        echo "missing $tool: apt-get install -y imagemagick libimage-exiftool-perl libvips-tools time" >&2
        exit 1
    }
done

echo "building the release example (process_file)..." >&2
(cd "$root" && cargo build --quiet --release -p imgup-imaging --example process_file)
bin=$CARGO_TARGET_DIR/release/examples/process_file

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

echo "making the images with ImageMagick..." >&2
/usr/bin/convert -seed 3 -size 6000x4000 plasma:fractal -quality 90 photo.jpg
cp photo.jpg oriented.jpg
exiftool -q -overwrite_original -n -Orientation=6 oriented.jpg
# The bomb: ImageMagick's own policy refuses to make a 60000x60000 image, so
# its header is written by hand (IHDR says 60000x60000, the data is a token).
if ! /usr/bin/convert -size 60000x60000 xc:white bomb.png 2>/dev/null; then
    python3 - <<'PY'
import struct, zlib
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
ihdr = struct.pack(">IIBBBBB", 60000, 60000, 8, 0, 0, 0, 0)
# Rows of zeros, deflated: the first 200 of 60000 rows (a real bomb would be ~9 KB more).
idat = zlib.compress(b"\0" * (60001 * 200), 9)
open("bomb.png", "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
PY
fi

now_ns() { date +%s%N; }

# run_timed OUT CMD...: wall milliseconds and peak RSS (KB) of one command.
run_timed() {
    local out=$1
    shift
    local start end
    start=$(now_ns)
    /usr/bin/time -f "%M" -o rss.txt "$@" >"$out" 2>/dev/null
    end=$(now_ns)
    echo "$(((end - start) / 1000000)) $(tail -1 rss.txt)"
}

median() { tr ' ' '\n' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# libvips: the original turned upright and stripped, and the two WebP variants.
vips_work() {
    local in=$1 ms=0 rss=0 r
    for cmd in "vips autorot $in out.jpg[strip]" \
        "vipsthumbnail $in -s 320 -o thumb.webp[Q=80,strip]" \
        "vipsthumbnail $in -s 1280 -o medium.webp[Q=80,strip]"; do
        # shellcheck disable=SC2086
        read -r m k < <(run_timed /dev/null $cmd)
        ms=$((ms + m))
        ((k > rss)) && rss=$k
    done
    echo "$ms $rss"
}

ours_work() {
    local r
    r=$(run_timed ours.txt "$bin" "$1" --out out)
    # shellcheck disable=SC2046
    echo "$r $(sed -E 's/.*ms=([0-9.]+).*/\1/' ours.txt)"
}

echo "| image | work | libvips ms | imgup ms (in-process) | ratio | peak RSS libvips | peak RSS imgup |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
for img in photo.jpg oriented.jpg; do
    v_ms="" v_rss="" o_ms="" o_rss="" o_in=""
    for ((i = 0; i < ROUNDS; i++)); do
        read -r m k < <(vips_work "$img")
        v_ms+="$m " v_rss+="$k "
        read -r m k p < <(ours_work "$img")
        o_ms+="$m " o_rss+="$k " o_in+="$p "
    done
    vm=$(echo $v_ms | median) om=$(echo $o_ms | median) oi=$(echo $o_in | median)
    vr=$(echo $v_rss | median) orr=$(echo $o_rss | median)
    case $img in
        photo.jpg) label="6000x4000 JPEG q90" ;;
        oriented.jpg) label="same, EXIF orientation 6" ;;
    esac
    ratio=$(awk -v a="$om" -v b="$vm" 'BEGIN {printf "%.2f", a / b}')
    echo "| $label | upright+strip original, 320 + 1280 WebP q80 | $vm | $om ($oi) | $ratio | $((vr / 1024)) MB | $((orr / 1024)) MB |"
done

read -r m k < <(run_timed bomb.txt "$bin" bomb.png)
echo
echo "Bomb ($(stat -c %s bomb.png) bytes, 60000x60000 = 3.6 gigapixels), whole process (start, read, refuse, exit): $m ms wall, peak RSS $((k / 1024)) MB."
echo "In-process: $(sed -E 's/ok .*//' bomb.txt)"
"$bin" bomb.png --probe >probe.txt || true
echo "probe alone: $(cat probe.txt)"
echo
echo "Rounds: $ROUNDS (medians; libvips' three commands summed; wall time of whole commands, including process start and file writes; in-process time of \`process\` in parentheses). $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)."
