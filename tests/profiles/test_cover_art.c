/*
 * tests/profiles/test_cover_art.c - engine/cover_art.c: header inspection,
 * fitting JPEG and PNG pictures to limits, baseline output, size limits,
 * unchanged copies, and corrupt pictures left out with a reason.
 *
 * The input images are made here with libjpeg and libpng.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jpeglib.h>
#include <png.h>

#include <segue/segue.h>

#include "engine/cover_art.h"

/* ---- making images -------------------------------------------------------------- */

typedef struct image {
    uint8_t *data;
    size_t size;
} image;

/* RGB test pattern: a smooth gradient, or noise (hard to compress). */
static uint8_t *pattern(uint32_t w, uint32_t h, int noise)
{
    uint8_t *rgb = malloc((size_t)w * h * 3);
    assert_non_null(rgb);
    uint32_t seed = 1;
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            uint8_t *p = rgb + ((size_t)y * w + x) * 3;
            if (noise) {
                for (int c = 0; c < 3; c++) {
                    seed = seed * 1664525u + 1013904223u;
                    p[c] = (uint8_t)(seed >> 24);
                }
            } else {
                p[0] = (uint8_t)(x * 255 / (w > 1 ? w - 1 : 1));
                p[1] = (uint8_t)(y * 255 / (h > 1 ? h - 1 : 1));
                p[2] = 128;
            }
        }
    return rgb;
}

static image make_jpeg(const uint8_t *rgb, uint32_t w, uint32_t h, int progressive, int quality)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    unsigned char *buf = NULL;
    unsigned long size = 0;
    jpeg_mem_dest(&c, &buf, &size);
    c.image_width = w;
    c.image_height = h;
    c.input_components = 3;
    c.in_color_space = JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, quality, TRUE);
    if (progressive)
        jpeg_simple_progression(&c);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < h) {
        JSAMPROW row = (JSAMPROW)(rgb + (size_t)c.next_scanline * w * 3);
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    image img = {buf, size};
    return img;
}

typedef struct png_buf {
    uint8_t *data;
    size_t size, cap;
} png_buf;

static void png_write_mem(png_structp png, png_bytep d, png_size_t n)
{
    png_buf *b = png_get_io_ptr(png);
    if (b->size + n > b->cap) {
        b->cap = (b->size + n) * 2;
        b->data = realloc(b->data, b->cap);
        assert_non_null(b->data);
    }
    memcpy(b->data + b->size, d, n);
    b->size += n;
}

static void png_flush_mem(png_structp png) { (void)png; }

/* color_type: PNG_COLOR_TYPE_RGB, _RGB_ALPHA (alpha = `alpha`), _PALETTE
 * (a 4-colour palette), _GRAY. */
static image make_png(uint32_t w, uint32_t h, int color_type, uint8_t alpha, int interlace)
{
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    assert_non_null(info);
    png_buf out = {NULL, 0, 0};
    png_set_write_fn(png, &out, png_write_mem, png_flush_mem);
    png_set_IHDR(png, info, w, h, 8, color_type, interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (color_type == PNG_COLOR_TYPE_PALETTE) {
        png_color pal[4] = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 0}};
        png_set_PLTE(png, info, pal, 4);
    }
    png_write_info(png, info);
    int channels = color_type == PNG_COLOR_TYPE_RGB ? 3 : color_type == PNG_COLOR_TYPE_RGB_ALPHA ? 4 : 1;
    uint8_t *row = malloc((size_t)w * 4);
    assert_non_null(row);
    int passes = png_set_interlace_handling(png);
    for (int pass = 0; pass < passes; pass++)
        for (uint32_t y = 0; y < h; y++) {
            for (uint32_t x = 0; x < w; x++) {
                uint8_t *p = row + (size_t)x * (size_t)channels;
                if (channels >= 3) {
                    p[0] = (uint8_t)(x * 255 / w);
                    p[1] = (uint8_t)(y * 255 / h);
                    p[2] = 64;
                    if (channels == 4)
                        p[3] = alpha;
                } else if (color_type == PNG_COLOR_TYPE_PALETTE) {
                    p[0] = (uint8_t)((x / 8 + y / 8) % 4);
                } else {
                    p[0] = (uint8_t)((x + y) * 255 / (w + h));
                }
            }
            png_write_row(png, row);
        }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(row);
    image img = {out.data, out.size};
    return img;
}

/* Decodes a JPEG to RGB with libjpeg (for checking the output). */
static uint8_t *decode_jpeg(const uint8_t *d, size_t n, uint32_t *w, uint32_t *h)
{
    struct jpeg_decompress_struct c;
    struct jpeg_error_mgr e;
    c.err = jpeg_std_error(&e);
    jpeg_create_decompress(&c);
    jpeg_mem_src(&c, d, (unsigned long)n);
    assert_int_equal(jpeg_read_header(&c, TRUE), JPEG_HEADER_OK);
    c.out_color_space = JCS_RGB;
    jpeg_start_decompress(&c);
    *w = c.output_width;
    *h = c.output_height;
    uint8_t *rgb = malloc((size_t)*w * *h * 3);
    assert_non_null(rgb);
    while (c.output_scanline < c.output_height) {
        JSAMPROW row = rgb + (size_t)c.output_scanline * *w * 3;
        jpeg_read_scanlines(&c, &row, 1);
    }
    jpeg_finish_decompress(&c);
    jpeg_destroy_decompress(&c);
    return rgb;
}

/* Walks the marker segments: the frame header marker (0xC0 = baseline). */
static int sof_marker(const uint8_t *d, size_t n)
{
    size_t i = 2;
    while (i + 4 <= n && d[i] == 0xff) {
        uint8_t m = d[i + 1];
        if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc)
            return m;
        i += 2 + ((size_t)d[i + 2] << 8 | d[i + 3]);
    }
    return -1;
}

/* ---- helpers around segue_cover_art_fit ---------------------------------------- */

typedef struct fit_result {
    segue_metadata *out;
    unsigned changed;
    segue_status status;
} fit_result;

static fit_result fit(const image *img, const char *mime, const segue_picture_limits *lim)
{
    segue_metadata *in = NULL;
    fit_result r = {NULL, 99, SEGUE_OK};
    assert_int_equal(segue_metadata_create(&in, NULL), SEGUE_OK);
    assert_int_equal(segue_metadata_create(&r.out, NULL), SEGUE_OK);
    segue_picture pic = {3, mime, "front", 0, 0, img->data, img->size};
    assert_int_equal(segue_metadata_add_picture(in, &pic), SEGUE_OK);
    segue_error err;
    segue_error_clear(&err);
    r.status = segue_cover_art_fit(in, r.out, lim, NULL, &r.changed, &err);
    segue_metadata_destroy(in);
    return r;
}

/* The single fitted picture: baseline JPEG, within the limits, dims as
 * expected; returns its decoded pixels. */
static uint8_t *expect_fitted(const fit_result *r, const segue_picture_limits *lim, uint32_t want_w,
                              uint32_t want_h)
{
    assert_int_equal(r->status, SEGUE_OK);
    assert_int_equal(r->changed, 1);
    assert_int_equal(segue_metadata_picture_count(r->out), 1);
    assert_int_equal(segue_metadata_unmapped_count(r->out), 0);
    segue_picture p;
    assert_int_equal(segue_metadata_picture_at(r->out, 0, &p), SEGUE_OK);
    assert_string_equal(p.mime, "image/jpeg");
    assert_string_equal(p.description, "front");
    assert_int_equal(p.type, 3);
    assert_int_equal(sof_marker(p.data, p.size), 0xc0);
    segue_picture_facts f;
    assert_int_equal(segue_picture_inspect(p.data, p.size, &f), SEGUE_OK);
    assert_true(f.is_jpeg && !f.progressive);
    assert_int_equal(f.width, want_w);
    assert_int_equal(f.height, want_h);
    assert_int_equal(p.width, want_w);
    assert_int_equal(p.height, want_h);
    if (lim->max_bytes)
        assert_true(p.size <= lim->max_bytes);
    assert_int_equal(segue_picture_needs_fit(&p, lim), 0);
    uint32_t w, h;
    uint8_t *rgb = decode_jpeg(p.data, p.size, &w, &h);
    assert_int_equal(w, want_w);
    assert_int_equal(h, want_h);
    return rgb;
}

/* One picture left out, named in the unmapped list with a reason. */
static void expect_left_out(const fit_result *r, const char *needle)
{
    assert_int_equal(r->status, SEGUE_OK);
    assert_int_equal(r->changed, 0);
    assert_int_equal(segue_metadata_picture_count(r->out), 0);
    assert_int_equal(segue_metadata_unmapped_count(r->out), 1);
    const char *what, *why;
    assert_int_equal(segue_metadata_unmapped_at(r->out, 0, &what, &why), SEGUE_OK);
    assert_string_equal(what, "PICTURE");
    if (!strstr(why, needle))
        fail_msg("reason '%s' lacks '%s'", why, needle);
}

/* ---- tests -------------------------------------------------------------------------- */

static void test_inspect(void **state)
{
    (void)state;
    uint8_t *rgb = pattern(64, 40, 0);
    image base = make_jpeg(rgb, 64, 40, 0, 90), prog = make_jpeg(rgb, 64, 40, 1, 90);
    image png = make_png(33, 17, PNG_COLOR_TYPE_RGB, 255, 0);
    segue_picture_facts f;
    assert_int_equal(segue_picture_inspect(base.data, base.size, &f), SEGUE_OK);
    assert_true(f.is_jpeg && !f.is_png && !f.progressive && f.width == 64 && f.height == 40);
    assert_int_equal(segue_picture_inspect(prog.data, prog.size, &f), SEGUE_OK);
    assert_true(f.is_jpeg && f.progressive && f.width == 64 && f.height == 40);
    assert_int_equal(segue_picture_inspect(png.data, png.size, &f), SEGUE_OK);
    assert_true(f.is_png && !f.is_jpeg && f.width == 33 && f.height == 17);
    static const uint8_t gif[] = "GIF89a\x01\x00\x01\x00";
    assert_int_equal(segue_picture_inspect(gif, sizeof gif - 1, &f), SEGUE_ERR_CORRUPT);
    assert_int_equal(segue_picture_inspect(base.data, 3, &f), SEGUE_ERR_CORRUPT);
    assert_int_equal(segue_picture_inspect(base.data, 20, &f), SEGUE_ERR_CORRUPT); /* before SOF */
    assert_int_equal(segue_picture_inspect(png.data, 20, &f), SEGUE_ERR_CORRUPT);
    assert_int_equal(segue_picture_inspect(NULL, 0, &f), SEGUE_ERR_CORRUPT);
    assert_int_equal(segue_picture_inspect(png.data, png.size, NULL), SEGUE_ERR_INVALID_ARGUMENT);
    free(rgb);
    free(base.data);
    free(prog.data);
    free(png.data);
}

static void test_jpeg_downscale(void **state)
{
    (void)state;
    /* 1000x600 -> within 480x480: 480x288 (aspect kept). */
    uint8_t *rgb = pattern(1000, 600, 0);
    image src = make_jpeg(rgb, 1000, 600, 0, 95);
    segue_picture_limits lim = {480, 480, 256 * 1024, 1};
    fit_result r = fit(&src, "image/jpeg", &lim);
    uint8_t *out = expect_fitted(&r, &lim, 480, 288);
    /* The box average of a gradient is the gradient: compare a few pixels
     * with the source at the matching position. */
    for (uint32_t y = 10; y < 288; y += 67)
        for (uint32_t x = 10; x < 480; x += 113) {
            uint32_t sx = (uint32_t)((x + 0.5) * 1000 / 480), sy = (uint32_t)((y + 0.5) * 600 / 288);
            for (int c = 0; c < 3; c++) {
                int a = out[((size_t)y * 480 + x) * 3 + (size_t)c];
                int b = rgb[((size_t)sy * 1000 + sx) * 3 + (size_t)c];
                if (abs(a - b) > 8)
                    fail_msg("pixel %u,%u channel %d: %d vs source %d", x, y, c, a, b);
            }
        }
    free(out);
    segue_metadata_destroy(r.out);
    free(src.data);

    /* Tall progressive source, jpeg_only: fitted and made baseline. */
    uint8_t *tall = pattern(300, 900, 0);
    image prog = make_jpeg(tall, 300, 900, 1, 90);
    segue_picture_limits lim2 = {500, 500, 0, 1};
    r = fit(&prog, "image/jpeg", &lim2);
    free(expect_fitted(&r, &lim2, 167, 500));
    segue_metadata_destroy(r.out);
    free(prog.data);
    free(tall);
    free(rgb);
}

static void test_progressive_within_limits(void **state)
{
    (void)state;
    uint8_t *rgb = pattern(200, 150, 0);
    image prog = make_jpeg(rgb, 200, 150, 1, 90);
    /* Dimensions fine but progressive: re-encoded at the same size. */
    segue_picture_limits lim = {480, 480, 0, 1};
    fit_result r = fit(&prog, "image/jpeg", &lim);
    free(expect_fitted(&r, &lim, 200, 150));
    segue_metadata_destroy(r.out);
    /* Without jpeg_only a progressive JPEG within limits passes unchanged. */
    segue_picture_limits keep = {480, 480, 0, 0};
    r = fit(&prog, "image/jpeg", &keep);
    assert_int_equal(r.changed, 0);
    segue_picture p;
    assert_int_equal(segue_metadata_picture_at(r.out, 0, &p), SEGUE_OK);
    assert_int_equal(p.size, prog.size);
    assert_memory_equal(p.data, prog.data, prog.size);
    segue_metadata_destroy(r.out);
    free(prog.data);
    free(rgb);
}

static void test_unchanged_copy(void **state)
{
    (void)state;
    uint8_t *rgb = pattern(120, 80, 0);
    image src = make_jpeg(rgb, 120, 80, 0, 90);
    segue_metadata *in = NULL, *out = NULL;
    assert_int_equal(segue_metadata_create(&in, NULL), SEGUE_OK);
    assert_int_equal(segue_metadata_create(&out, NULL), SEGUE_OK);
    assert_int_equal(segue_metadata_add(in, "TITLE", "Song"), SEGUE_OK);
    assert_int_equal(segue_metadata_add(in, "ARTIST", "A"), SEGUE_OK);
    assert_int_equal(segue_metadata_add(in, "ARTIST", "B"), SEGUE_OK);
    assert_int_equal(segue_metadata_add_unmapped(in, "X", "earlier"), SEGUE_OK);
    segue_gapless g = {576, 1000, 44100};
    segue_metadata_set_gapless(in, &g);
    segue_picture pic = {3, "image/jpeg", "cover", 120, 80, src.data, src.size};
    assert_int_equal(segue_metadata_add_picture(in, &pic), SEGUE_OK);
    pic.type = 4;
    assert_int_equal(segue_metadata_add_picture(in, &pic), SEGUE_OK);
    segue_picture_limits lim = {480, 480, 256 * 1024, 1};
    unsigned changed = 99;
    assert_int_equal(segue_cover_art_fit(in, out, &lim, NULL, &changed, NULL), SEGUE_OK);
    assert_int_equal(changed, 0);
    assert_int_equal(segue_metadata_field_count(out), 3);
    assert_string_equal(segue_metadata_get(out, "ARTIST", 1), "B");
    assert_int_equal(segue_metadata_unmapped_count(out), 1);
    segue_gapless g2;
    segue_metadata_get_gapless(out, &g2);
    assert_int_equal(g2.encoder_delay, 576);
    assert_int_equal(g2.padding, 1000);
    assert_int_equal(segue_metadata_picture_count(out), 2);
    for (size_t i = 0; i < 2; i++) {
        segue_picture p;
        assert_int_equal(segue_metadata_picture_at(out, i, &p), SEGUE_OK);
        assert_int_equal(p.type, i ? 4 : 3);
        assert_int_equal(p.size, src.size);
        assert_memory_equal(p.data, src.data, src.size);
    }
    /* No limits at all: even a PNG passes unchanged. */
    image png = make_png(900, 900, PNG_COLOR_TYPE_RGB, 255, 0);
    segue_picture_limits none = {0, 0, 0, 0};
    fit_result r = fit(&png, "image/png", &none);
    assert_int_equal(r.changed, 0);
    segue_picture p;
    assert_int_equal(segue_metadata_picture_at(r.out, 0, &p), SEGUE_OK);
    assert_int_equal(p.size, png.size);
    segue_metadata_destroy(r.out);
    free(png.data);
    segue_metadata_destroy(in);
    segue_metadata_destroy(out);
    free(src.data);
    free(rgb);
}

static void test_png_kinds(void **state)
{
    (void)state;
    segue_picture_limits lim = {256, 256, 0, 1};
    static const struct {
        int type, interlace;
    } kinds[] = {{PNG_COLOR_TYPE_RGB, 0},
                 {PNG_COLOR_TYPE_RGB_ALPHA, 0},
                 {PNG_COLOR_TYPE_PALETTE, 0},
                 {PNG_COLOR_TYPE_GRAY, 0},
                 {PNG_COLOR_TYPE_RGB, 1},
                 {PNG_COLOR_TYPE_PALETTE, 1}};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        image png = make_png(640, 320, kinds[i].type, 255, kinds[i].interlace);
        fit_result r = fit(&png, "image/png", &lim);
        free(expect_fitted(&r, &lim, 256, 128));
        segue_metadata_destroy(r.out);
        free(png.data);
    }
    /* A small PNG within the dimensions is still converted (jpeg_only). */
    image small = make_png(100, 60, PNG_COLOR_TYPE_GRAY, 255, 0);
    fit_result r = fit(&small, "image/png", &lim);
    uint8_t *grey = expect_fitted(&r, &lim, 100, 60);
    for (size_t k = 0; k < 100 * 60; k++) /* grey stays grey */
        assert_true(abs(grey[3 * k] - grey[3 * k + 1]) <= 3 && abs(grey[3 * k + 1] - grey[3 * k + 2]) <= 3);
    free(grey);
    segue_metadata_destroy(r.out);
    free(small.data);

    /* Fully transparent RGBA is composited on white. */
    image clear = make_png(300, 300, PNG_COLOR_TYPE_RGB_ALPHA, 0, 0);
    r = fit(&clear, "image/png", &lim);
    uint8_t *white = expect_fitted(&r, &lim, 256, 256);
    for (size_t k = 0; k < 256 * 256 * 3; k++)
        assert_true(white[k] >= 250);
    free(white);
    segue_metadata_destroy(r.out);
    free(clear.data);
}

static void test_size_limit(void **state)
{
    (void)state;
    /* Noise is the worst case for JPEG: quality steps down to fit. */
    uint8_t *noise = pattern(400, 400, 1);
    image src = make_jpeg(noise, 400, 400, 0, 98);
    segue_picture_limits lim = {480, 480, 90000, 1};
    assert_true(src.size > lim.max_bytes);
    fit_result r = fit(&src, "image/jpeg", &lim);
    free(expect_fitted(&r, &lim, 400, 400));
    segue_metadata_destroy(r.out);

    /* A limit no quality can reach: left out, with the reason. */
    segue_picture_limits tiny = {480, 480, 2048, 1};
    r = fit(&src, "image/jpeg", &tiny);
    expect_left_out(&r, "over the 2048-byte limit");
    segue_metadata_destroy(r.out);
    free(src.data);
    free(noise);
}

static void test_corrupt(void **state)
{
    (void)state;
    segue_picture_limits lim = {100, 100, 0, 1};
    uint8_t *rgb = pattern(400, 300, 0);
    image jpeg = make_jpeg(rgb, 400, 300, 0, 90);
    image prog = make_jpeg(rgb, 400, 300, 1, 90);
    image png = make_png(400, 300, PNG_COLOR_TYPE_RGB, 255, 0);
    image ipng = make_png(400, 300, PNG_COLOR_TYPE_RGB, 255, 1);

    /* Truncated at several points: each left out (never a grey-padded
     * picture), never a crash. */
    const image *all[] = {&jpeg, &prog, &png, &ipng};
    for (size_t k = 0; k < 4; k++)
        for (size_t cut = 1; cut < 10; cut += 2) {
            image part = {all[k]->data, all[k]->size * cut / 10};
            fit_result r = fit(&part, "image/jpeg", &lim);
            expect_left_out(&r, "left out");
            segue_metadata_destroy(r.out);
        }

    /* Flipped bytes in the entropy-coded data / the IDAT CRC. */
    image bad = {malloc(png.size), png.size};
    memcpy(bad.data, png.data, png.size);
    bad.data[png.size / 2] ^= 0x55;
    fit_result r = fit(&bad, "image/png", &lim);
    expect_left_out(&r, "libpng");
    segue_metadata_destroy(r.out);
    free(bad.data);

    /* Not an image at all. */
    image junk = {(uint8_t *)"hello, world", 12};
    r = fit(&junk, "image/jpeg", &lim);
    expect_left_out(&r, "not a JPEG or PNG image");
    segue_metadata_destroy(r.out);

    /* A PNG header claiming 20000x20000 pixels: refused before decoding. */
    image huge = {malloc(png.size), png.size};
    memcpy(huge.data, png.data, png.size);
    static const uint8_t dims[8] = {0, 0, 0x4e, 0x20, 0, 0, 0x4e, 0x20};
    memcpy(huge.data + 16, dims, 8);
    r = fit(&huge, "image/png", &lim);
    expect_left_out(&r, "left out");
    segue_metadata_destroy(r.out);
    free(huge.data);

    /* A JPEG frame header claiming 65000x65000. */
    image big = {malloc(jpeg.size), jpeg.size};
    memcpy(big.data, jpeg.data, jpeg.size);
    size_t i = 2;
    while (big.data[i + 1] != 0xc0)
        i += 2 + ((size_t)big.data[i + 2] << 8 | big.data[i + 3]);
    big.data[i + 5] = big.data[i + 7] = 0xfd;
    big.data[i + 6] = big.data[i + 8] = 0xe8;
    r = fit(&big, "image/jpeg", &lim);
    expect_left_out(&r, "decoding limit");
    segue_metadata_destroy(r.out);
    free(big.data);

    free(jpeg.data);
    free(prog.data);
    free(png.data);
    free(ipng.data);
    free(rgb);
}

static void test_needs_fit(void **state)
{
    (void)state;
    uint8_t *rgb = pattern(300, 200, 0);
    image jpeg = make_jpeg(rgb, 300, 200, 0, 90);
    segue_picture pic = {3, "image/jpeg", "", 0, 0, jpeg.data, jpeg.size};
    segue_picture_limits lim = {300, 200, (uint32_t)jpeg.size, 1};
    assert_int_equal(segue_picture_needs_fit(&pic, &lim), 0);
    lim.max_width = 299;
    assert_int_equal(segue_picture_needs_fit(&pic, &lim), 1);
    lim.max_width = 0;
    lim.max_height = 199;
    assert_int_equal(segue_picture_needs_fit(&pic, &lim), 1);
    lim.max_height = 0;
    lim.max_bytes = (uint32_t)jpeg.size - 1;
    assert_int_equal(segue_picture_needs_fit(&pic, &lim), 1);
    free(jpeg.data);
    free(rgb);
}

/* The working buffers come from the caller's allocator: a counting
 * allocator sees every block freed again, and one that fails after N
 * blocks makes the picture "left out" (or the call fail) cleanly, never
 * crash or leak (ASan checks the leaks). */
typedef struct counting_alloc {
    size_t live, total, fail_after;
} counting_alloc;

static void *counting_alloc_fn(void *user, size_t size)
{
    counting_alloc *c = user;
    if (c->fail_after && c->total >= c->fail_after)
        return NULL;
    void *p = malloc(size);
    if (p) {
        c->live++;
        c->total++;
    }
    return p;
}

static void counting_free_fn(void *user, void *ptr)
{
    counting_alloc *c = user;
    c->live--;
    free(ptr);
}

static void test_caller_allocator(void **state)
{
    (void)state;
    uint8_t *rgb = pattern(640, 400, 0);
    image src = make_jpeg(rgb, 640, 400, 0, 95);
    segue_picture_limits lim = {300, 300, 256 * 1024, 1};
    size_t blocks = 0;
    for (size_t fail_after = 0;; fail_after++) {
        counting_alloc c = {0, 0, fail_after};
        segue_allocator a = {&c, counting_alloc_fn, counting_free_fn};
        segue_metadata *in = NULL, *out = NULL;
        assert_int_equal(segue_metadata_create(&in, NULL), SEGUE_OK);
        assert_int_equal(segue_metadata_create(&out, NULL), SEGUE_OK);
        segue_picture pic = {3, "image/jpeg", "front", 0, 0, src.data, src.size};
        assert_int_equal(segue_metadata_add_picture(in, &pic), SEGUE_OK);
        unsigned changed = 0;
        segue_status st = segue_cover_art_fit(in, out, &lim, &a, &changed, NULL);
        assert_int_equal(c.live, 0);
        if (fail_after == 0) {
            /* Unlimited: the fit succeeds and used our allocator. */
            assert_int_equal(st, SEGUE_OK);
            assert_int_equal(changed, 1);
            assert_true(c.total > 0);
            blocks = c.total;
        } else {
            /* Each early failure leaves the picture out with a reason. */
            assert_int_equal(st, SEGUE_OK);
            assert_int_equal(changed, 0);
            assert_int_equal(segue_metadata_picture_count(out), 0);
            assert_int_equal(segue_metadata_unmapped_count(out), 1);
        }
        segue_metadata_destroy(in);
        segue_metadata_destroy(out);
        if (fail_after + 1 >= blocks)
            break; /* fail_after = blocks would not fail any more */
    }
    free(src.data);
    free(rgb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inspect),       cmocka_unit_test(test_jpeg_downscale),
        cmocka_unit_test(test_progressive_within_limits), cmocka_unit_test(test_unchanged_copy),
        cmocka_unit_test(test_png_kinds),     cmocka_unit_test(test_size_limit),
        cmocka_unit_test(test_corrupt),       cmocka_unit_test(test_needs_fit),
        cmocka_unit_test(test_caller_allocator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
