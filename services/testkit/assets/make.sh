#!/usr/bin/env bash
# Makes the sample images the tests upload, with independent tools
# (ImageMagick, exiftool), so that what the pipeline accepts is not only what
# our own encoder writes. The outputs are committed; run this to remake them.
set -euo pipefail
cd "$(dirname "$0")"
convert=/usr/bin/convert
$convert -size 64x48 plasma:fractal -seed 7 -quality 85 photo.jpg
$convert -size 48x32 gradient:orange-purple -quality 80 image.webp
$convert -size 32x32 gradient:teal-yellow -colors 16 image.gif
$convert -size 32x24 gradient:red-blue -quality 60 image.avif
# A phone photo stored landscape with orientation 6 (shown portrait), a GPS
# position, a camera and an author: all of which the API must remove.
$convert -size 60x40 gradient:white-black -quality 90 phone.jpg
exiftool -q -overwrite_original -n -Orientation=6 -GPSLatitude=37.5665 -GPSLatitudeRef=N \
  -GPSLongitude=126.978 -GPSLongitudeRef=E -Make=imgupPhone -Model=X1 \
  -SerialNumber=SN-0042 -Artist="Jane Secret" -Comment="taken at home" phone.jpg
