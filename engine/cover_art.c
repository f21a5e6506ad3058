/*
 * engine/cover_art.c - fit pictures to a profile's limits (engine/cover_art.h).
 *
 * Pictures come from files we did not make, so decoding treats them as
 * hostile: libjpeg and libpng report errors through handlers that longjmp
 * back here (neither may call exit()), libjpeg warnings such as "premature
 * end of data" count as errors (a truncated cover is left out rather than
 * padded with grey), and image sizes are checked against fixed caps before
 * anything is allocated for pixels.
 *
 * Scaling is an area average (box filter) in 8-bit RGB, streamed: each
 * decoded row is added into one row of accumulators, so memory is one
 * source row plus the (small) output image, whatever the source size. Only
 * interlaced PNGs need their whole image at once (libpng hands rows out
 * pass by pass); they are bounded by the pixel cap. Large JPEGs are first
 * reduced by libjpeg's DCT scaling (1/2, 1/4, 1/8) while staying at least
 * as large as the target, which saves most of the decoding work.
 *
 * The result is a baseline JPEG (SOF0, Huffman, 4:2:0) at quality 90,
 * stepped down by 5 to 50 until it fits max_bytes.
 */
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

#include "core/alloc.h"
#include "engine/cover_art.h"

/* Decoding caps (before any pixel buffer is allocated). */
#define COVER_MAX_SIDE 16384u
#define COVER_MAX_PIXELS (64u * 1024u * 1024u)
/* Largest encoded JPEG we will produce before giving up. */
#define COVER_MAX_OUTPUT (64u * 1024u * 1024u)
/* Interlaced PNGs are held whole (4 bytes a pixel): a lower cap. */
#define COVER_MAX_INTERLACED_PIXELS (16u * 1024u * 1024u)
/* libjpeg's own working memory: progressive files keep every DCT
 * coefficient (2 bytes a sample), 192 MiB for 64 Mpixel at 4:2:0. Past
 * this libjpeg fails ("backing store not supported") instead of growing. */
#define COVER_JPEG_MEMORY (256l * 1024l * 1024l)

#define REASON_MAX 160

/* ---- header inspection -------------------------------------------------------- */

static uint32_t be16(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }
static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static segue_status inspect_png(const uint8_t *d, size_t size, segue_picture_facts *f)
{
    f->is_png = 1;
    /* PNG spec 5.2/11.2.2: the signature is followed by IHDR (length 13). */
    if (size < 8 + 8 + 13 || be32(d + 8) != 13 || memcmp(d + 12, "IHDR", 4) != 0)
        return SEGUE_ERR_CORRUPT;
    uint32_t w = be32(d + 16), h = be32(d + 20);
    /* PNG spec 11.2.2: zero and values above 2^31-1 are invalid. */
    if (w == 0 || h == 0 || w > 0x7fffffffu || h > 0x7fffffffu)
        return SEGUE_ERR_CORRUPT;
    f->width = w;
    f->height = h;
    return SEGUE_OK;
}

static segue_status inspect_jpeg(const uint8_t *d, size_t size, segue_picture_facts *f)
{
    f->is_jpeg = 1;
    size_t i = 2; /* after SOI (ITU T.81 B.2.1) */
    while (i < size) {
        if (d[i] != 0xff)
            return SEGUE_ERR_CORRUPT; /* markers are where the lengths say */
        while (i < size && d[i] == 0xff)
            i++; /* fill bytes (B.1.1.2) */
        if (i >= size)
            break;
        uint8_t m = d[i++];
        /* Stand-alone markers: TEM, RSTn, SOI. */
        if (m == 0x01 || (m >= 0xd0 && m <= 0xd8))
            continue;
        if (m == 0xd9 || m == 0xda || m == 0x00)
            return SEGUE_ERR_CORRUPT; /* EOI or scan data before any frame header */
        if (size - i < 2)
            break;
        uint32_t len = be16(d + i);
        if (len < 2 || len > size - i)
            return SEGUE_ERR_CORRUPT;
        /* SOFn: C0..CF except DHT (C4), JPG (C8) and DAC (CC) (Table B.1). */
        if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc) {
            if (len < 8)
                return SEGUE_ERR_CORRUPT;
            f->progressive = m != 0xc0; /* only SOF0 is baseline */
            f->height = be16(d + i + 3);
            f->width = be16(d + i + 5);
            return SEGUE_OK;
        }
        i += len;
    }
    return SEGUE_ERR_CORRUPT;
}

segue_status segue_picture_inspect(const uint8_t *data, size_t size, segue_picture_facts *facts)
{
    if (!facts)
        return SEGUE_ERR_INVALID_ARGUMENT;
    memset(facts, 0, sizeof *facts);
    if (!data || size < 4)
        return SEGUE_ERR_CORRUPT;
    static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (size >= 8 && memcmp(data, png_sig, 8) == 0)
        return inspect_png(data, size, facts);
    if (data[0] == 0xff && data[1] == 0xd8)
        return inspect_jpeg(data, size, facts);
    return SEGUE_ERR_CORRUPT;
}

int segue_picture_needs_fit(const segue_picture *pic, const segue_picture_limits *lim)
{
    if (!pic || !lim)
        return 0;
    if (!lim->max_width && !lim->max_height && !lim->max_bytes && !lim->jpeg_only)
        return 0; /* no limits: every picture passes as it is */
    segue_picture_facts f;
    if (segue_picture_inspect(pic->data, pic->size, &f) != SEGUE_OK || !f.width || !f.height)
        return 1; /* cannot tell: the fit decides (and leaves it out if unreadable) */
    if (lim->jpeg_only && (!f.is_jpeg || f.progressive))
        return 1;
    if ((lim->max_width && f.width > lim->max_width) || (lim->max_height && f.height > lim->max_height))
        return 1;
    return lim->max_bytes && pic->size > lim->max_bytes;
}

/* ---- box scaler ------------------------------------------------------------------ */

typedef struct box_scaler {
    uint32_t src_w, src_h, dst_w, dst_h;
    uint32_t *col_of;   /* source column -> output column */
    uint32_t *col_span; /* source columns per output column */
    uint32_t *acc;      /* dst_w * 3 running sums of the current output row */
    uint32_t rows_in;   /* source rows summed into acc */
    uint32_t src_y;     /* next source row */
    uint8_t *out;       /* dst_w * dst_h * 3 */
    const segue_allocator *a;
} box_scaler;

static void scaler_free(box_scaler *s)
{
    segue_mem_free(s->a, s->col_of);
    segue_mem_free(s->a, s->col_span);
    segue_mem_free(s->a, s->acc);
    segue_mem_free(s->a, s->out);
    memset(s, 0, sizeof *s);
}

/* dst <= src on both axes. Returns 0 on allocation failure. */
static int scaler_init(box_scaler *s, uint32_t src_w, uint32_t src_h, uint32_t dst_w, uint32_t dst_h)
{
    const segue_allocator *a = s->a; /* chosen by the job; kept across the reset */
    memset(s, 0, sizeof *s);
    s->a = a;
    s->src_w = src_w, s->src_h = src_h, s->dst_w = dst_w, s->dst_h = dst_h;
    s->col_of = segue_mem_calloc(s->a, src_w, sizeof *s->col_of);
    s->col_span = segue_mem_calloc(s->a, dst_w, sizeof *s->col_span);
    s->acc = segue_mem_calloc(s->a, (size_t)dst_w * 3, sizeof *s->acc);
    s->out = segue_mem_calloc(s->a, (size_t)dst_w * dst_h, 3);
    if (!s->col_of || !s->col_span || !s->acc || !s->out) {
        scaler_free(s);
        return 0;
    }
    for (uint32_t x = 0; x < src_w; x++) {
        s->col_of[x] = (uint32_t)((uint64_t)x * dst_w / src_w);
        s->col_span[s->col_of[x]]++;
    }
    return 1;
}

/* Adds one RGB source row; writes an output row whenever its box is done.
 * The sums are uint32: job_start() refuses shrink factors whose boxes
 * could overflow them (box_fits_uint32). */
static void scaler_push(box_scaler *s, const uint8_t *rgb)
{
    uint32_t y = s->src_y++;
    for (uint32_t x = 0; x < s->src_w; x++) {
        uint32_t *a = s->acc + (size_t)s->col_of[x] * 3;
        a[0] += rgb[3 * (size_t)x];
        a[1] += rgb[3 * (size_t)x + 1];
        a[2] += rgb[3 * (size_t)x + 2];
    }
    s->rows_in++;
    uint32_t oy = (uint32_t)((uint64_t)y * s->dst_h / s->src_h);
    uint32_t next = y + 1 < s->src_h ? (uint32_t)((uint64_t)(y + 1) * s->dst_h / s->src_h) : s->dst_h;
    if (next == oy)
        return;
    uint8_t *row = s->out + (size_t)oy * s->dst_w * 3;
    for (uint32_t ox = 0; ox < s->dst_w; ox++) {
        uint32_t n = s->col_span[ox] * s->rows_in;
        for (int c = 0; c < 3; c++) {
            uint32_t *a = &s->acc[(size_t)ox * 3 + (size_t)c];
            row[(size_t)ox * 3 + (size_t)c] = (uint8_t)((*a + n / 2) / n);
            *a = 0;
        }
    }
    s->rows_in = 0;
}

/* The output size: within max_w x max_h with the aspect kept (0 = no
 * limit). Never larger than the source. */
static void fit_dims(uint32_t w, uint32_t h, uint32_t max_w, uint32_t max_h, uint32_t *dw, uint32_t *dh)
{
    uint64_t mw = max_w && max_w < w ? max_w : w;
    uint64_t mh = max_h && max_h < h ? max_h : h;
    if (mw == w && mh == h) {
        *dw = w, *dh = h;
    } else if ((uint64_t)w * mh > (uint64_t)h * mw) { /* width is the tighter limit */
        *dw = (uint32_t)mw;
        *dh = (uint32_t)(((uint64_t)h * mw + w / 2) / w);
    } else {
        *dh = (uint32_t)mh;
        *dw = (uint32_t)(((uint64_t)w * mh + h / 2) / h);
    }
    if (*dw == 0)
        *dw = 1;
    if (*dh == 0)
        *dh = 1;
}

/* Box sums are uint32: one output pixel averages at most 2^32/255 source
 * pixels. With both sides capped at 16384 a box holds at most 2^28 pixels
 * only when the output is 1x1; reject shrink factors whose box would
 * overflow (a 16384x16384 cover fitted to 1x1 is not a real request). */
static int box_fits_uint32(uint32_t w, uint32_t h, uint32_t dw, uint32_t dh)
{
    uint64_t bw = (w + dw - 1) / dw + 1, bh = (h + dh - 1) / dh + 1;
    return bw * bh * 255u < 0xffffffffu;
}

/* ---- job ----------------------------------------------------------------------- */

typedef struct fit_job {
    const segue_picture_limits *lim;
    const segue_allocator *a;
    box_scaler scaler;
    uint8_t *row;       /* one decoded source row (RGB, or RGBA/CMYK) */
    uint8_t *image;     /* interlaced PNG: the whole image */
    uint8_t **rows;     /* its row pointers */
    char reason[REASON_MAX];
} fit_job;

static void job_free(fit_job *job)
{
    scaler_free(&job->scaler);
    segue_mem_free(job->a, job->row);
    segue_mem_free(job->a, job->image);
    segue_mem_free(job->a, job->rows);
    job->row = job->image = NULL;
    job->rows = NULL;
}

/* Checks the caps and sets up the scaler for a w x h decode; 0 + reason on
 * failure. */
static int job_start(fit_job *job, uint32_t w, uint32_t h, size_t row_bytes)
{
    if (w == 0 || h == 0 || w > COVER_MAX_SIDE || h > COVER_MAX_SIDE ||
        (uint64_t)w * h > COVER_MAX_PIXELS) {
        snprintf(job->reason, sizeof job->reason, "%ux%u is beyond the %ux%u, %u-pixel decoding limit",
                 w, h, COVER_MAX_SIDE, COVER_MAX_SIDE, COVER_MAX_PIXELS);
        return 0;
    }
    uint32_t dw, dh;
    fit_dims(w, h, job->lim->max_width, job->lim->max_height, &dw, &dh);
    if (!box_fits_uint32(w, h, dw, dh)) {
        snprintf(job->reason, sizeof job->reason, "%ux%u cannot be reduced to %ux%u", w, h, dw, dh);
        return 0;
    }
    job->row = segue_mem_alloc(job->a, row_bytes);
    if (!job->row || !scaler_init(&job->scaler, w, h, dw, dh)) {
        snprintf(job->reason, sizeof job->reason, "out of memory");
        return 0;
    }
    return 1;
}

/* ---- JPEG decoding ---------------------------------------------------------------- */

typedef struct jpeg_fail {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
} jpeg_fail;

static void jpeg_fail_exit(j_common_ptr c)
{
    jpeg_fail *f = (jpeg_fail *)(void *)c->err;
    (*c->err->format_message)(c, f->message);
    longjmp(f->jump, 1);
}

/* Warnings (level -1) are corrupt data ("premature end of data segment",
 * "corrupt JPEG data: N extraneous bytes"): treated as errors. Trace
 * messages (level >= 0) are ignored; nothing goes to stderr. */
static void jpeg_fail_emit(j_common_ptr c, int level)
{
    if (level < 0)
        jpeg_fail_exit(c);
}

static void jpeg_silent(j_common_ptr c) { (void)c; }

static void jpeg_errors(jpeg_fail *f)
{
    jpeg_std_error(&f->pub);
    f->pub.error_exit = jpeg_fail_exit;
    f->pub.emit_message = jpeg_fail_emit;
    f->pub.output_message = jpeg_silent;
    f->message[0] = '\0';
}

/* Converts one decoded row to RGB in place in job->row (CMYK: Adobe's
 * inverted convention, which is what Photoshop and libjpeg write). */
static void cmyk_to_rgb(uint8_t *row, uint32_t w)
{
    for (uint32_t x = 0; x < w; x++) {
        const uint8_t *p = row + 4 * (size_t)x;
        uint32_t k = p[3];
        uint8_t r = (uint8_t)((p[0] * k + 127) / 255), g = (uint8_t)((p[1] * k + 127) / 255),
                b = (uint8_t)((p[2] * k + 127) / 255);
        row[3 * (size_t)x] = r;
        row[3 * (size_t)x + 1] = g;
        row[3 * (size_t)x + 2] = b;
    }
}

static int decode_jpeg(const uint8_t *data, size_t size, fit_job *job)
{
    struct jpeg_decompress_struct cinfo;
    jpeg_fail fail;
    memset(&cinfo, 0, sizeof cinfo);
    jpeg_errors(&fail);
    cinfo.err = &fail.pub;
    if (setjmp(fail.jump)) {
        snprintf(job->reason, sizeof job->reason, "libjpeg: %.120s", fail.message);
        jpeg_destroy_decompress(&cinfo);
        return 0;
    }
    jpeg_create_decompress(&cinfo);
    cinfo.mem->max_memory_to_use = COVER_JPEG_MEMORY;
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    uint32_t w = cinfo.image_width, h = cinfo.image_height;
    if (w == 0 || h == 0 || w > COVER_MAX_SIDE || h > COVER_MAX_SIDE || (uint64_t)w * h > COVER_MAX_PIXELS) {
        snprintf(job->reason, sizeof job->reason, "%ux%u is beyond the %ux%u, %u-pixel decoding limit",
                 w, h, COVER_MAX_SIDE, COVER_MAX_SIDE, COVER_MAX_PIXELS);
        jpeg_destroy_decompress(&cinfo);
        return 0;
    }
    int cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
    /* DCT-domain reduction while the result stays at least the target. */
    uint32_t dw, dh;
    fit_dims(w, h, job->lim->max_width, job->lim->max_height, &dw, &dh);
    unsigned denom = 1;
    while (denom < 8 && (w + denom * 2 - 1) / (denom * 2) >= dw && (h + denom * 2 - 1) / (denom * 2) >= dh)
        denom *= 2;
    cinfo.scale_num = 1;
    cinfo.scale_denom = denom;
    cinfo.dct_method = JDCT_ISLOW;
    jpeg_start_decompress(&cinfo);
    uint32_t ow = cinfo.output_width, oh = cinfo.output_height;
    size_t row_bytes = (size_t)ow * (size_t)cinfo.output_components;
    if (cinfo.output_components != (cmyk ? 4 : 3) || !job_start(job, ow, oh, row_bytes)) {
        if (!job->reason[0])
            snprintf(job->reason, sizeof job->reason, "unexpected JPEG colour layout");
        jpeg_destroy_decompress(&cinfo);
        return 0;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW rowp = job->row;
        if (jpeg_read_scanlines(&cinfo, &rowp, 1) != 1) {
            snprintf(job->reason, sizeof job->reason, "libjpeg: no scanline returned");
            jpeg_destroy_decompress(&cinfo);
            return 0;
        }
        if (cmyk)
            cmyk_to_rgb(job->row, ow);
        scaler_push(&job->scaler, job->row);
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    return 1;
}

/* ---- PNG decoding ------------------------------------------------------------------- */

typedef struct png_source {
    const uint8_t *data;
    size_t size, pos;
    char message[REASON_MAX];
} png_source;

static void png_read_mem(png_structp png, png_bytep out, png_size_t n)
{
    png_source *src = png_get_io_ptr(png);
    if (n > src->size - src->pos)
        png_error(png, "truncated file");
    memcpy(out, src->data + src->pos, n);
    src->pos += n;
}

static void png_fail(png_structp png, png_const_charp msg)
{
    png_source *src = png_get_error_ptr(png);
    snprintf(src->message, sizeof src->message, "%s", msg);
    png_longjmp(png, 1);
}

static void png_quiet(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

/* RGBA -> RGB over white (alpha composited: c*a + 255*(1-a)). */
static void rgba_over_white(uint8_t *row, uint32_t w)
{
    for (uint32_t x = 0; x < w; x++) {
        const uint8_t *p = row + 4 * (size_t)x;
        uint32_t a = p[3], inv = 255u - a;
        uint8_t r = (uint8_t)((p[0] * a + 255u * inv + 127) / 255),
                g = (uint8_t)((p[1] * a + 255u * inv + 127) / 255),
                b = (uint8_t)((p[2] * a + 255u * inv + 127) / 255);
        row[3 * (size_t)x] = r;
        row[3 * (size_t)x + 1] = g;
        row[3 * (size_t)x + 2] = b;
    }
}

static int decode_png(const uint8_t *data, size_t size, fit_job *job)
{
    png_source src = {data, size, 0, {0}};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &src, png_fail, png_quiet);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_read_struct(png ? &png : NULL, NULL, NULL);
        snprintf(job->reason, sizeof job->reason, "out of memory");
        return 0;
    }
    if (setjmp(png_jmpbuf(png))) {
        snprintf(job->reason, sizeof job->reason, "libpng: %.120s", src.message[0] ? src.message : "error");
        png_destroy_read_struct(&png, &info, NULL);
        return 0;
    }
    png_set_read_fn(png, &src, png_read_mem);
    /* Refuse oversized headers inside libpng, and bound ancillary chunks. */
    png_set_user_limits(png, COVER_MAX_SIDE, COVER_MAX_SIDE);
    png_set_chunk_cache_max(png, 256);
    png_set_chunk_malloc_max(png, 8u * 1024u * 1024u);
    png_read_info(png, info);
    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    int color = png_get_color_type(png, info);
    /* Everything becomes 8-bit RGBA: palettes and low-depth grey expanded,
     * tRNS to alpha, 16-bit stripped, grey to RGB, opaque images given an
     * opaque alpha. */
    png_set_expand(png);
    png_set_strip_16(png);
    if (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA)
        png_set_gray_to_rgb(png);
    png_set_add_alpha(png, 0xff, PNG_FILLER_AFTER);
    int passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != (size_t)w * 4) {
        snprintf(job->reason, sizeof job->reason, "unexpected PNG row layout");
        png_destroy_read_struct(&png, &info, NULL);
        return 0;
    }
    if (!job_start(job, w, h, (size_t)w * 4)) {
        png_destroy_read_struct(&png, &info, NULL);
        return 0;
    }
    if (passes > 1) {
        /* Adam7: rows are refined pass by pass, so the image is kept. */
        if ((uint64_t)w * h > COVER_MAX_INTERLACED_PIXELS) {
            snprintf(job->reason, sizeof job->reason, "interlaced %ux%u is beyond the %u-pixel limit",
                     (unsigned)w, (unsigned)h, COVER_MAX_INTERLACED_PIXELS);
            png_destroy_read_struct(&png, &info, NULL);
            return 0;
        }
        job->image = segue_mem_calloc(job->a, (size_t)w * h, 4);
        job->rows = segue_mem_calloc(job->a, h, sizeof *job->rows);
        if (!job->image || !job->rows) {
            snprintf(job->reason, sizeof job->reason, "out of memory");
            png_destroy_read_struct(&png, &info, NULL);
            return 0;
        }
        for (png_uint_32 y = 0; y < h; y++)
            job->rows[y] = job->image + (size_t)y * w * 4;
        png_read_image(png, job->rows);
        for (png_uint_32 y = 0; y < h; y++) {
            memcpy(job->row, job->rows[y], (size_t)w * 4);
            rgba_over_white(job->row, w);
            scaler_push(&job->scaler, job->row);
        }
    } else {
        for (png_uint_32 y = 0; y < h; y++) {
            png_read_row(png, job->row, NULL);
            rgba_over_white(job->row, w);
            scaler_push(&job->scaler, job->row);
        }
    }
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    return 1;
}

/* ---- JPEG encoding ------------------------------------------------------------------- */

typedef struct jpeg_sink {
    struct jpeg_destination_mgr pub;
    uint8_t *buf;
    size_t capacity;
    size_t size; /* valid after term */
    const segue_allocator *a;
} jpeg_sink;

static void sink_init(j_compress_ptr c)
{
    jpeg_sink *s = (jpeg_sink *)(void *)c->dest;
    s->pub.next_output_byte = s->buf;
    s->pub.free_in_buffer = s->capacity;
}

static boolean sink_grow(j_compress_ptr c)
{
    jpeg_sink *s = (jpeg_sink *)(void *)c->dest;
    /* libjpeg calls this with the buffer full (free_in_buffer ignored). */
    size_t used = s->capacity;
    if (s->capacity >= COVER_MAX_OUTPUT)
        ERREXIT(c, JERR_BUFFER_SIZE);
    uint8_t *bigger = segue_mem_realloc(s->a, s->buf, s->capacity, s->capacity * 2);
    if (!bigger)
        ERREXIT1(c, JERR_OUT_OF_MEMORY, 0);
    s->buf = bigger;
    s->capacity *= 2;
    s->pub.next_output_byte = s->buf + used;
    s->pub.free_in_buffer = s->capacity - used;
    return TRUE;
}

static void sink_term(j_compress_ptr c)
{
    jpeg_sink *s = (jpeg_sink *)(void *)c->dest;
    s->size = s->capacity - s->pub.free_in_buffer;
}

/* Encodes the scaled image as baseline JPEG at `quality`; returns the bytes
 * (segue_mem) or NULL with a reason. */
static uint8_t *encode_jpeg(fit_job *job, int quality, size_t *out_size)
{
    const box_scaler *s = &job->scaler;
    struct jpeg_compress_struct cinfo;
    jpeg_fail fail;
    jpeg_sink sink;
    memset(&cinfo, 0, sizeof cinfo);
    memset(&sink, 0, sizeof sink);
    sink.a = job->a;
    sink.capacity = 64 * 1024;
    sink.buf = segue_mem_alloc(job->a, sink.capacity);
    if (!sink.buf) {
        snprintf(job->reason, sizeof job->reason, "out of memory");
        return NULL;
    }
    jpeg_errors(&fail);
    cinfo.err = &fail.pub;
    if (setjmp(fail.jump)) {
        snprintf(job->reason, sizeof job->reason, "libjpeg: %.120s", fail.message);
        jpeg_destroy_compress(&cinfo);
        segue_mem_free(job->a, sink.buf);
        return NULL;
    }
    jpeg_create_compress(&cinfo);
    sink.pub.init_destination = sink_init;
    sink.pub.empty_output_buffer = sink_grow;
    sink.pub.term_destination = sink_term;
    cinfo.dest = &sink.pub;
    cinfo.image_width = s->dst_w;
    cinfo.image_height = s->dst_h;
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    /* Baseline (SOF0): sequential Huffman, no progression, no arithmetic
     * coding. Optimised Huffman tables are still baseline (T.81 K.2). */
    cinfo.optimize_coding = TRUE;
    cinfo.arith_code = FALSE;
    /* 4:2:0 chroma subsampling. */
    cinfo.comp_info[0].h_samp_factor = 2;
    cinfo.comp_info[0].v_samp_factor = 2;
    cinfo.comp_info[1].h_samp_factor = cinfo.comp_info[1].v_samp_factor = 1;
    cinfo.comp_info[2].h_samp_factor = cinfo.comp_info[2].v_samp_factor = 1;
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = s->out + (size_t)cinfo.next_scanline * s->dst_w * 3;
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    *out_size = sink.size;
    return sink.buf;
}

/* ---- fitting one picture ---------------------------------------------------------------- */

static const char *format_name(const segue_picture_facts *f)
{
    return f->is_png ? "PNG" : f->is_jpeg ? (f->progressive ? "progressive JPEG" : "JPEG") : "image";
}

/* Re-encodes `pic`; on success *data (segue_mem) / *size / *w / *h, else
 * NULL data and a reason in job->reason. */
static uint8_t *fit_one(const segue_picture *pic, const segue_picture_limits *lim,
                        const segue_allocator *a, char *reason, size_t reason_size,
                        size_t *out_size, uint32_t *w, uint32_t *h)
{
    fit_job job;
    memset(&job, 0, sizeof job);
    job.lim = lim;
    job.a = a;
    job.scaler.a = a;
    segue_picture_facts f;
    segue_status st = segue_picture_inspect(pic->data, pic->size, &f);
    uint8_t *result = NULL;
    int ok = 0;
    if (st != SEGUE_OK && !f.is_jpeg && !f.is_png)
        snprintf(job.reason, sizeof job.reason, "not a JPEG or PNG image");
    else if (f.is_png)
        ok = decode_png(pic->data, pic->size, &job);
    else
        ok = decode_jpeg(pic->data, pic->size, &job);
    if (ok && job.scaler.src_y != job.scaler.src_h) {
        snprintf(job.reason, sizeof job.reason, "image ended early");
        ok = 0;
    }
    if (ok) {
        size_t size = 0;
        for (int q = 90; q >= 50; q -= 5) {
            segue_mem_free(a, result);
            result = encode_jpeg(&job, q, &size);
            if (!result || !lim->max_bytes || size <= lim->max_bytes)
                break;
        }
        if (result && lim->max_bytes && size > lim->max_bytes) {
            snprintf(job.reason, sizeof job.reason,
                     "%ux%u baseline JPEG is %zu bytes at quality 50, over the %u-byte limit",
                     job.scaler.dst_w, job.scaler.dst_h, size, lim->max_bytes);
            segue_mem_free(a, result);
            result = NULL;
        }
        if (result) {
            *out_size = size;
            *w = job.scaler.dst_w;
            *h = job.scaler.dst_h;
        }
    }
    if (!result) {
        char dims[32] = "";
        if (f.width && f.height)
            snprintf(dims, sizeof dims, " %ux%u", f.width, f.height);
        snprintf(reason, reason_size, "cover art: picture type %u (%s%s, %zu bytes) left out: %s",
                 pic->type, format_name(&f), dims, pic->size, job.reason[0] ? job.reason : "cannot fit");
    }
    job_free(&job);
    return result;
}

segue_status segue_cover_art_fit(const segue_metadata *src, segue_metadata *dst,
                                 const segue_picture_limits *lim, const segue_allocator *allocator,
                                 unsigned *changed, segue_error *err)
{
    const segue_allocator *a = segue_allocator_or_default(allocator);
    if (changed)
        *changed = 0;
    if (!src || !dst || !lim)
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT, "cover art: missing argument");
    segue_status st = SEGUE_OK;
    for (size_t i = 0; i < segue_metadata_field_count(src) && st == SEGUE_OK; i++) {
        const char *key, *value;
        st = segue_metadata_field_at(src, i, &key, &value);
        if (st == SEGUE_OK)
            st = segue_metadata_add(dst, key, value);
    }
    segue_gapless g;
    segue_metadata_get_gapless(src, &g);
    segue_metadata_set_gapless(dst, &g);
    segue_loudness l;
    segue_metadata_get_loudness(src, &l);
    segue_metadata_set_loudness(dst, &l);
    for (size_t i = 0; i < segue_metadata_unmapped_count(src) && st == SEGUE_OK; i++) {
        const char *what, *why;
        st = segue_metadata_unmapped_at(src, i, &what, &why);
        if (st == SEGUE_OK)
            st = segue_metadata_add_unmapped(dst, what, why);
    }
    for (size_t i = 0; i < segue_metadata_picture_count(src) && st == SEGUE_OK; i++) {
        segue_picture pic;
        st = segue_metadata_picture_at(src, i, &pic);
        if (st != SEGUE_OK)
            break;
        if (!segue_picture_needs_fit(&pic, lim)) {
            st = segue_metadata_add_picture(dst, &pic);
            continue;
        }
        char reason[2 * REASON_MAX];
        size_t size = 0;
        uint32_t w = 0, h = 0;
        uint8_t *jpeg = fit_one(&pic, lim, a, reason, sizeof reason, &size, &w, &h);
        if (!jpeg) {
            st = segue_metadata_add_unmapped(dst, "PICTURE", reason);
            continue;
        }
        segue_picture fitted = pic;
        fitted.mime = "image/jpeg";
        fitted.width = w;
        fitted.height = h;
        fitted.data = jpeg;
        fitted.size = size;
        st = segue_metadata_add_picture(dst, &fitted);
        segue_mem_free(a, jpeg);
        if (st == SEGUE_OK && changed)
            (*changed)++;
    }
    if (st != SEGUE_OK)
        return segue_error_set(err, st, "cover art: %s", segue_status_str(st));
    return SEGUE_OK;
}
