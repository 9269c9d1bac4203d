#include "cimage.h"

// jpeglib.h uses FILE and size_t without including their headers.
#include <stdio.h>

#include <jerror.h>
#include <jpeglib.h>
#include <png.h>
#include <setjmp.h>
#include <webp/decode.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

// PNG and JPEG cannot describe more than 2^31 - 1 (PNG) or 65535 (JPEG) per side.
#define PNG_MAX_SIDE 0x7FFFFFFFu

static cimage_status fail(cimage_status status, char *message, size_t capacity, const char *format, ...) {
    if (message && capacity > 0) {
        va_list args;
        va_start(args, format);
        vsnprintf(message, capacity, format, args);
        va_end(args);
    }
    return status;
}

static cimage_format sniff(const uint8_t *data, size_t length) {
    static const uint8_t png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    if (length >= 8 && memcmp(data, png_signature, 8) == 0) return CIMAGE_FORMAT_PNG;
    if (length >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) return CIMAGE_FORMAT_JPEG;
    if (length >= 12 && memcmp(data, "RIFF", 4) == 0 && memcmp(data + 8, "WEBP", 4) == 0) return CIMAGE_FORMAT_WEBP;
    return CIMAGE_FORMAT_UNKNOWN;
}

static cimage_status check_dimensions(cimage_header *header, uint64_t max_pixels, char *message, size_t capacity) {
    if (header->width == 0 || header->height == 0) {
        return fail(CIMAGE_ERR_DIMENSIONS, message, capacity, "image is %ux%u; both sides must be at least 1",
                    header->width, header->height);
    }
    uint64_t pixels = (uint64_t)header->width * (uint64_t)header->height;
    if (max_pixels > 0 && pixels > max_pixels) {
        return fail(CIMAGE_ERR_TOO_MANY_PIXELS, message, capacity,
                    "image is %ux%u = %llu pixels, over the limit of %llu", header->width, header->height,
                    (unsigned long long)pixels, (unsigned long long)max_pixels);
    }
    header->rgb_length = pixels * 3;
    return CIMAGE_OK;
}

// MARK: PNG

typedef struct {
    const uint8_t *data;
    size_t length;
    size_t offset;
} png_source;

typedef struct {
    jmp_buf jump;
    char text[200];
} png_failure;

static void png_read_memory(png_structp png, png_bytep out, png_size_t count) {
    png_source *source = (png_source *)png_get_io_ptr(png);
    if (count > source->length - source->offset) {
        png_error(png, "the data ends before the image does");
    }
    memcpy(out, source->data + source->offset, count);
    source->offset += count;
}

static void png_on_error(png_structp png, png_const_charp text) {
    png_failure *failure = (png_failure *)png_get_error_ptr(png);
    snprintf(failure->text, sizeof failure->text, "%s", text);
    longjmp(failure->jump, 1);
}

static void png_on_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

// Transparent pixels are laid over opaque white, as transformers' convert_to_rgb does with
// PIL's alpha_composite; this is PIL's integer arithmetic (7 fractional bits, ÷255 by shifts).
static void composite_on_white(const uint8_t *rgba, uint8_t *rgb, size_t pixels) {
    for (size_t i = 0; i < pixels; i++) {
        const uint8_t *src = rgba + 4 * i;
        uint8_t *dst = rgb + 3 * i;
        uint32_t alpha = src[3];
        if (alpha == 0) {
            dst[0] = dst[1] = dst[2] = 255;
            continue;
        }
        uint32_t blend = 255u * (255u - alpha);
        uint32_t out_alpha = alpha * 255u + blend;
        uint32_t coef1 = alpha * 255u * 255u * (1u << 7) / out_alpha;
        uint32_t coef2 = 255u * (1u << 7) - coef1;
        for (int c = 0; c < 3; c++) {
            uint32_t t = src[c] * coef1 + 255u * coef2 + (0x80u << 7);
            dst[c] = (uint8_t)((((t >> 8) + t) >> 8) >> 7);
        }
    }
}

// Reads the PNG header; with `out`, decodes the pixels too. One function, so the setjmp
// frame covers every libpng call and the structs are always destroyed.
static cimage_status png_run(const uint8_t *data, size_t length, uint64_t max_pixels, uint8_t *out,
                             size_t out_capacity, cimage_header *header, char *message, size_t capacity) {
    // The dimensions are checked from IHDR, which the signature must be followed by, before
    // libpng allocates anything: a bomb is refused from its first 24 bytes.
    if (length < 24 || memcmp(data + 12, "IHDR", 4) != 0) {
        return fail(length < 24 ? CIMAGE_ERR_TRUNCATED : CIMAGE_ERR_CORRUPT, message, capacity,
                    "PNG: %s", length < 24 ? "the data ends before the header does" : "IHDR is not the first chunk");
    }
    header->format = CIMAGE_FORMAT_PNG;
    header->width = (uint32_t)data[16] << 24 | (uint32_t)data[17] << 16 | (uint32_t)data[18] << 8 | data[19];
    header->height = (uint32_t)data[20] << 24 | (uint32_t)data[21] << 16 | (uint32_t)data[22] << 8 | data[23];
    cimage_status early = check_dimensions(header, max_pixels, message, capacity);
    if (early != CIMAGE_OK) return early;

    png_failure failure;
    failure.text[0] = 0;
    png_source source = {data, length, 0};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &failure, png_on_error, png_on_warning);
    if (!png) return fail(CIMAGE_ERR_MEMORY, message, capacity, "out of memory starting the PNG decoder");
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        return fail(CIMAGE_ERR_MEMORY, message, capacity, "out of memory starting the PNG decoder");
    }
    png_bytep *volatile rows = NULL;
    uint8_t *volatile rgba = NULL;
    if (setjmp(failure.jump)) {
        free(rows);
        free(rgba);
        png_destroy_read_struct(&png, &info, NULL);
        int truncated = strstr(failure.text, "ends before") != NULL;
        return fail(truncated ? CIMAGE_ERR_TRUNCATED : CIMAGE_ERR_CORRUPT, message, capacity, "PNG: %s",
                    failure.text);
    }
    // The pixel cap is enforced by us; libpng's own limits stay as defence in depth.
    png_set_user_limits(png, PNG_MAX_SIDE, PNG_MAX_SIDE);
    png_set_read_fn(png, &source, png_read_memory);
    png_read_info(png, info);

    png_uint_32 width = 0, height = 0;
    int depth = 0, color = 0, interlace = 0;
    png_get_IHDR(png, info, &width, &height, &depth, &color, &interlace, NULL, NULL);
    header->format = CIMAGE_FORMAT_PNG;
    header->width = width;
    header->height = height;
    cimage_status status = check_dimensions(header, max_pixels, message, capacity);
    if (status != CIMAGE_OK || out == NULL) {
        png_destroy_read_struct(&png, &info, NULL);
        return status;
    }
    if (out_capacity < header->rgb_length) {
        png_destroy_read_struct(&png, &info, NULL);
        return fail(CIMAGE_ERR_BUFFER, message, capacity, "output buffer holds %zu bytes, the image needs %llu",
                    out_capacity, (unsigned long long)header->rgb_length);
    }

    int has_alpha = (color & PNG_COLOR_MASK_ALPHA) || png_get_valid(png, info, PNG_INFO_tRNS);
    if (depth == 16) png_set_strip_16(png);
    if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (depth < 8) png_set_packing(png);
    if (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    size_t channels = has_alpha ? 4 : 3;
    size_t row_bytes = png_get_rowbytes(png, info);
    if (row_bytes != (size_t)width * channels) {
        png_destroy_read_struct(&png, &info, NULL);
        return fail(CIMAGE_ERR_UNSUPPORTED, message, capacity, "PNG rows decode to %zu bytes, expected %zu",
                    row_bytes, (size_t)width * channels);
    }
    rows = malloc(sizeof(png_bytep) * height);
    if (has_alpha) rgba = malloc(row_bytes * height);
    if (!rows || (has_alpha && !rgba)) {
        free(rows);
        free(rgba);
        png_destroy_read_struct(&png, &info, NULL);
        return fail(CIMAGE_ERR_MEMORY, message, capacity, "out of memory for a %ux%u PNG", width, height);
    }
    uint8_t *target = has_alpha ? rgba : out;
    for (png_uint_32 y = 0; y < height; y++) rows[y] = target + (size_t)y * row_bytes;
    png_read_image(png, rows);
    free(rows);
    rows = NULL;
    if (has_alpha) {
        composite_on_white(rgba, out, (size_t)width * height);
        free(rgba);
        rgba = NULL;
    }
    png_destroy_read_struct(&png, &info, NULL);
    return CIMAGE_OK;
}

// MARK: JPEG

typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    int ended_early;
    char text[JMSG_LENGTH_MAX];
} jpeg_failure;

static void jpeg_on_error(j_common_ptr cinfo) {
    jpeg_failure *failure = (jpeg_failure *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, failure->text);
    longjmp(failure->jump, 1);
}

static void jpeg_on_message(j_common_ptr cinfo, int level) {
    // Other warnings (extraneous bytes between markers, say) are tolerated, as PIL does.
    jpeg_failure *failure = (jpeg_failure *)cinfo->err;
    if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) failure->ended_early = 1;
}

static cimage_status jpeg_run(const uint8_t *data, size_t length, uint64_t max_pixels, uint8_t *out,
                              size_t out_capacity, cimage_header *header, char *message, size_t capacity) {
    struct jpeg_decompress_struct cinfo;
    jpeg_failure failure;
    failure.text[0] = 0;
    failure.ended_early = 0;
    cinfo.err = jpeg_std_error(&failure.base);
    failure.base.error_exit = jpeg_on_error;
    failure.base.emit_message = jpeg_on_message;
    if (setjmp(failure.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return fail(CIMAGE_ERR_CORRUPT, message, capacity, "JPEG: %s", failure.text);
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, (const unsigned char *)data, (unsigned long)length);
    if (jpeg_read_header(&cinfo, TRUE) != JPEG_HEADER_OK) {
        jpeg_destroy_decompress(&cinfo);
        return fail(CIMAGE_ERR_TRUNCATED, message, capacity, "JPEG: the data ends before the header does");
    }
    header->format = CIMAGE_FORMAT_JPEG;
    header->width = cinfo.image_width;
    header->height = cinfo.image_height;
    cimage_status status = check_dimensions(header, max_pixels, message, capacity);
    if (status != CIMAGE_OK || out == NULL) {
        jpeg_destroy_decompress(&cinfo);
        return status;
    }
    if (out_capacity < header->rgb_length) {
        jpeg_destroy_decompress(&cinfo);
        return fail(CIMAGE_ERR_BUFFER, message, capacity, "output buffer holds %zu bytes, the image needs %llu",
                    out_capacity, (unsigned long long)header->rgb_length);
    }
    if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
        jpeg_destroy_decompress(&cinfo);
        return fail(CIMAGE_ERR_UNSUPPORTED, message, capacity, "JPEG: CMYK images are not supported");
    }
    // libjpeg's defaults (islow DCT, fancy upsampling) are what PIL decodes with.
    cinfo.out_color_space = JCS_RGB;
    jpeg_start_decompress(&cinfo);
    if (cinfo.output_components != 3 || cinfo.output_width != header->width ||
        cinfo.output_height != header->height) {
        jpeg_destroy_decompress(&cinfo);
        return fail(CIMAGE_ERR_UNSUPPORTED, message, capacity, "JPEG: decoder output is not %ux%u RGB",
                    header->width, header->height);
    }
    size_t stride = (size_t)header->width * 3;
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = out + (size_t)cinfo.output_scanline * stride;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    int ended_early = failure.ended_early;
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    if (ended_early) {
        return fail(CIMAGE_ERR_TRUNCATED, message, capacity, "JPEG: the data ends before the image does");
    }
    return CIMAGE_OK;
}

// MARK: WebP

static cimage_status webp_run(const uint8_t *data, size_t length, uint64_t max_pixels, uint8_t *out,
                              size_t out_capacity, cimage_header *header, char *message, size_t capacity) {
    WebPBitstreamFeatures features;
    VP8StatusCode code = WebPGetFeatures(data, length, &features);
    if (code != VP8_STATUS_OK) {
        return fail(code == VP8_STATUS_NOT_ENOUGH_DATA ? CIMAGE_ERR_TRUNCATED : CIMAGE_ERR_CORRUPT, message, capacity,
                    "WebP: %s", code == VP8_STATUS_NOT_ENOUGH_DATA ? "the data ends before the header does"
                                                                   : "the header cannot be read");
    }
    header->format = CIMAGE_FORMAT_WEBP;
    header->width = (uint32_t)features.width;
    header->height = (uint32_t)features.height;
    cimage_status status = check_dimensions(header, max_pixels, message, capacity);
    if (status != CIMAGE_OK || out == NULL) return status;
    if (features.has_animation) {
        return fail(CIMAGE_ERR_UNSUPPORTED, message, capacity, "WebP: animated images are not supported");
    }
    if (out_capacity < header->rgb_length) {
        return fail(CIMAGE_ERR_BUFFER, message, capacity, "output buffer holds %zu bytes, the image needs %llu",
                    out_capacity, (unsigned long long)header->rgb_length);
    }
    size_t pixels = (size_t)header->width * header->height;
    if (features.has_alpha) {
        uint8_t *rgba = malloc(pixels * 4);
        if (!rgba) return fail(CIMAGE_ERR_MEMORY, message, capacity, "out of memory for a %ux%u WebP", header->width, header->height);
        if (!WebPDecodeRGBAInto(data, length, rgba, pixels * 4, (int)header->width * 4)) {
            free(rgba);
            return fail(CIMAGE_ERR_CORRUPT, message, capacity, "WebP: the image data cannot be decoded");
        }
        composite_on_white(rgba, out, pixels);
        free(rgba);
    } else if (!WebPDecodeRGBInto(data, length, out, out_capacity, (int)header->width * 3)) {
        return fail(CIMAGE_ERR_CORRUPT, message, capacity, "WebP: the image data cannot be decoded");
    }
    return CIMAGE_OK;
}

// MARK: Entry points

cimage_status cimage_read_header(const uint8_t *data, size_t length, uint64_t max_pixels, cimage_header *header,
                                 char *message, size_t capacity) {
    memset(header, 0, sizeof *header);
    switch (sniff(data, length)) {
    case CIMAGE_FORMAT_PNG:
        return png_run(data, length, max_pixels, NULL, 0, header, message, capacity);
    case CIMAGE_FORMAT_JPEG:
        return jpeg_run(data, length, max_pixels, NULL, 0, header, message, capacity);
    case CIMAGE_FORMAT_WEBP:
        return webp_run(data, length, max_pixels, NULL, 0, header, message, capacity);
    default:
        return fail(CIMAGE_ERR_FORMAT, message, capacity, "not a PNG, JPEG or WebP file (unknown signature)");
    }
}

cimage_status cimage_decode_rgb8(const uint8_t *data, size_t length, uint64_t max_pixels, uint8_t *out,
                                 size_t out_capacity, cimage_header *header, char *message, size_t capacity) {
    memset(header, 0, sizeof *header);
    switch (sniff(data, length)) {
    case CIMAGE_FORMAT_PNG:
        return png_run(data, length, max_pixels, out, out_capacity, header, message, capacity);
    case CIMAGE_FORMAT_JPEG:
        return jpeg_run(data, length, max_pixels, out, out_capacity, header, message, capacity);
    case CIMAGE_FORMAT_WEBP:
        return webp_run(data, length, max_pixels, out, out_capacity, header, message, capacity);
    default:
        return fail(CIMAGE_ERR_FORMAT, message, capacity, "not a PNG, JPEG or WebP file (unknown signature)");
    }
}

// MARK: Thumbnails

// Shrinks packed RGB8 `in` (w × h) to `out` (tw × th, both no larger) by averaging the source
// pixels each target pixel covers. Every index is computed in 64 bits from sides that fit 32.
static void box_downscale(const uint8_t *in, uint32_t w, uint32_t h, uint8_t *out, uint32_t tw, uint32_t th) {
    for (uint32_t y = 0; y < th; y++) {
        uint64_t y0 = (uint64_t)y * h / th, y1 = (uint64_t)(y + 1) * h / th;
        if (y1 <= y0) y1 = y0 + 1;
        for (uint32_t x = 0; x < tw; x++) {
            uint64_t x0 = (uint64_t)x * w / tw, x1 = (uint64_t)(x + 1) * w / tw;
            if (x1 <= x0) x1 = x0 + 1;
            uint64_t sum[3] = {0, 0, 0};
            for (uint64_t sy = y0; sy < y1; sy++) {
                const uint8_t *row = in + (sy * w + x0) * 3;
                for (uint64_t sx = x0; sx < x1; sx++, row += 3) {
                    sum[0] += row[0];
                    sum[1] += row[1];
                    sum[2] += row[2];
                }
            }
            uint64_t count = (y1 - y0) * (x1 - x0);
            uint8_t *pixel = out + ((uint64_t)y * tw + x) * 3;
            for (int c = 0; c < 3; c++) pixel[c] = (uint8_t)((sum[c] + count / 2) / count);
        }
    }
}

// Encodes packed RGB8 as a baseline JPEG into memory libjpeg allocates; errors longjmp back here.
static cimage_status jpeg_encode(const uint8_t *rgb, uint32_t width, uint32_t height, int quality,
                                 cimage_thumbnail *thumbnail, char *message, size_t capacity) {
    struct jpeg_compress_struct cinfo;
    jpeg_failure failure;
    failure.text[0] = 0;
    failure.ended_early = 0;
    // libjpeg writes the buffer's address and size through these pointers, so after a longjmp
    // they are read back from memory (their addresses escape), never from stale registers.
    unsigned char *target = NULL;
    unsigned long size = 0;
    cinfo.err = jpeg_std_error(&failure.base);
    failure.base.error_exit = jpeg_on_error;
    if (setjmp(failure.jump)) {
        jpeg_destroy_compress(&cinfo);
        free(target);
        return fail(CIMAGE_ERR_CORRUPT, message, capacity, "JPEG encoder: %s", failure.text);
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, &target, &size);
    cinfo.image_width = width;
    cinfo.image_height = height;
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    size_t stride = (size_t)width * 3;
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(rgb + (size_t)cinfo.next_scanline * stride);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    thumbnail->data = target;
    thumbnail->length = (size_t)size;
    thumbnail->width = width;
    thumbnail->height = height;
    return CIMAGE_OK;
}

cimage_status cimage_thumbnail_jpeg(const uint8_t *data, size_t length, uint64_t max_pixels, uint32_t long_side,
                                    int quality, cimage_thumbnail *thumbnail, char *message, size_t capacity) {
    memset(thumbnail, 0, sizeof *thumbnail);
    if (long_side == 0 || long_side > 65535 || quality < 1 || quality > 100) {
        return fail(CIMAGE_ERR_DIMENSIONS, message, capacity,
                    "a thumbnail needs a long side of 1–65535 px and a quality of 1–100, not %u px and %d", long_side,
                    quality);
    }
    cimage_header header;
    cimage_status status = cimage_read_header(data, length, max_pixels, &header, message, capacity);
    if (status != CIMAGE_OK) return status;
    if (header.rgb_length > SIZE_MAX) {
        return fail(CIMAGE_ERR_TOO_MANY_PIXELS, message, capacity, "image is %ux%u, too large to hold in memory",
                    header.width, header.height);
    }
    uint8_t *rgb = malloc((size_t)header.rgb_length);
    if (!rgb) return fail(CIMAGE_ERR_MEMORY, message, capacity, "out of memory for a %ux%u image", header.width, header.height);
    status = cimage_decode_rgb8(data, length, max_pixels, rgb, (size_t)header.rgb_length, &header, message, capacity);
    if (status != CIMAGE_OK) {
        free(rgb);
        return status;
    }
    uint32_t longer = header.width > header.height ? header.width : header.height;
    uint32_t tw = header.width, th = header.height;
    if (longer > long_side) {
        tw = (uint32_t)(((uint64_t)header.width * long_side + longer / 2) / longer);
        th = (uint32_t)(((uint64_t)header.height * long_side + longer / 2) / longer);
        if (tw == 0) tw = 1;
        if (th == 0) th = 1;
    }
    uint8_t *small = rgb;
    if (tw != header.width || th != header.height) {
        small = malloc((size_t)tw * th * 3);
        if (!small) {
            free(rgb);
            return fail(CIMAGE_ERR_MEMORY, message, capacity, "out of memory for a %ux%u thumbnail", tw, th);
        }
        box_downscale(rgb, header.width, header.height, small, tw, th);
        free(rgb);
    }
    status = jpeg_encode(small, tw, th, quality, thumbnail, message, capacity);
    free(small);
    return status;
}

void cimage_thumbnail_free(cimage_thumbnail *thumbnail) {
    if (!thumbnail) return;
    free(thumbnail->data);
    thumbnail->data = NULL;
    thumbnail->length = 0;
}
