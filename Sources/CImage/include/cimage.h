// Decodes PNG, JPEG and (still) WebP bytes to 8-bit RGB, with the header checks hardened input needs,
// and makes downscaled JPEG thumbnails of them.
//
// Every function takes the whole file in memory, never reads past `length`, and reports
// failure as a code plus a one-line message in the caller's buffer. libpng's and libjpeg's
// longjmp-based error handling stays inside this target.
#ifndef WISE_CIMAGE_H
#define WISE_CIMAGE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    CIMAGE_OK = 0,
    /// Not a PNG, JPEG or WebP signature.
    CIMAGE_ERR_FORMAT = 1,
    /// The data ends before the header or the pixels do.
    CIMAGE_ERR_TRUNCATED = 2,
    /// The decoder rejected the data.
    CIMAGE_ERR_CORRUPT = 3,
    /// Width or height is zero or larger than the format allows.
    CIMAGE_ERR_DIMENSIONS = 4,
    /// width × height exceeds the caller's pixel cap (a decompression bomb, or just too big).
    CIMAGE_ERR_TOO_MANY_PIXELS = 5,
    /// A pixel layout this decoder does not turn into RGB (CMYK JPEG, animated WebP).
    CIMAGE_ERR_UNSUPPORTED = 6,
    /// The output buffer is smaller than width × height × 3.
    CIMAGE_ERR_BUFFER = 7,
    /// Memory ran out.
    CIMAGE_ERR_MEMORY = 8
} cimage_status;

typedef enum {
    CIMAGE_FORMAT_UNKNOWN = 0,
    CIMAGE_FORMAT_PNG = 1,
    CIMAGE_FORMAT_JPEG = 2,
    CIMAGE_FORMAT_WEBP = 3
} cimage_format;

/// What a header says, read without decoding any pixels.
typedef struct {
    cimage_format format;
    uint32_t width;
    uint32_t height;
    /// width × height × 3: the bytes `cimage_decode_rgb8` writes.
    uint64_t rgb_length;
} cimage_header;

/// Reads the header of `data` and checks dimensions against `max_pixels`.
cimage_status cimage_read_header(const uint8_t *data, size_t length, uint64_t max_pixels,
                                 cimage_header *header, char *message, size_t message_capacity);

/// Decodes `data` to packed RGB8 rows (no padding) into `out`, which must hold
/// `header.rgb_length` bytes; the header is read and checked again first. Transparency (an
/// alpha channel or tRNS) is composited onto white with PIL's arithmetic, grey is replicated,
/// palettes are expanded, 16-bit samples keep their high byte.
cimage_status cimage_decode_rgb8(const uint8_t *data, size_t length, uint64_t max_pixels,
                                 uint8_t *out, size_t out_capacity,
                                 cimage_header *header, char *message, size_t message_capacity);

/// A downscaled JPEG copy of an image, for galleries: `cimage_thumbnail_jpeg` fills it, and
/// `cimage_thumbnail_free` releases `data`.
typedef struct {
    /// The JPEG bytes (malloc'd by libjpeg), or NULL.
    uint8_t *data;
    size_t length;
    uint32_t width;
    uint32_t height;
} cimage_thumbnail;

/// Decodes `data` (checked as `cimage_decode_rgb8` checks it, against `max_pixels`), shrinks it
/// with a box filter so that its longer side is at most `long_side` (never enlarged), and encodes
/// it as a baseline JPEG of `quality` (1–100). On failure `thumbnail->data` is NULL.
cimage_status cimage_thumbnail_jpeg(const uint8_t *data, size_t length, uint64_t max_pixels, uint32_t long_side,
                                    int quality, cimage_thumbnail *thumbnail, char *message, size_t message_capacity);

/// Frees a thumbnail's bytes (safe on an empty one).
void cimage_thumbnail_free(cimage_thumbnail *thumbnail);

#ifdef __cplusplus
}
#endif
#endif
