/*
 * tests/mp3enc/tags_fill.h - the metadata set the tag tests write: every
 * field the ID3v2 writer maps, non-Latin text, a custom field, ReplayGain
 * and (optionally) a front cover. test_tags.py checks the same values
 * (keep the two in step).
 */
#ifndef SEGUE_TESTS_TAGS_FILL_H
#define SEGUE_TESTS_TAGS_FILL_H

#include <segue/metadata.h>

static inline void tags_fill(segue_metadata *m, const uint8_t *cover, size_t cover_size)
{
    segue_metadata_add(m, "TITLE", "Title \xE2\x80\x94 \xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E"); /* "Title — 日本語" */
    segue_metadata_add(m, "ARTIST", "Artist");
    segue_metadata_add(m, "ALBUM", "Album \xC3\xA9t\xC3\xA9");                         /* "Album été" (Latin-1) */
    segue_metadata_add(m, "ALBUMARTIST", "Album Artist");
    segue_metadata_add(m, "TRACKNUMBER", "3");
    segue_metadata_add(m, "TRACKTOTAL", "12");
    segue_metadata_add(m, "DISCNUMBER", "1");
    segue_metadata_add(m, "DISCTOTAL", "2");
    segue_metadata_add(m, "DATE", "2024");
    segue_metadata_add(m, "GENRE", "Electronic");
    segue_metadata_add(m, "COMMENT", "A comment");
    segue_metadata_add(m, "LYRICS", "First line\nSecond line \xF0\x9F\x8E\xB5"); /* U+1F3B5 */
    segue_metadata_add(m, "COMPOSER", "Composer");
    segue_metadata_add(m, "MOOD", "Calm");
    segue_loudness l = {0};
    l.has_track_gain = 1, l.track_gain_db = -6.5;
    l.has_track_peak = 1, l.track_peak = 0.988553;
    segue_metadata_set_loudness(m, &l);
    if (cover && cover_size) {
        segue_picture p = {0};
        p.type = 3;
        p.mime = "image/jpeg";
        p.description = "";
        p.data = cover;
        p.size = cover_size;
        segue_metadata_add_picture(m, &p);
    }
}

#endif
