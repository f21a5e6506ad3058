/*
 * segue.h - umbrella header of the segue audio codec and transcoding engine.
 *
 * Glossary
 *   frame      one sample per channel at one instant ("sample frame"); all
 *              lengths and positions in the API count frames.
 *   packet     a unit of coded data a container hands to a codec.
 *   container  a file format that carries packets and tags (WAV, AIFF, ...).
 *   codec      turns packets into PCM (decoder) or PCM into packets (encoder).
 *   gapless    output that has exactly the source's frames: encoder delay and
 *              padding removed.
 *   handle     an opaque object with create/open and destroy; not thread-safe.
 *   status     a segue_status: 0 ok, > 0 not an error, < 0 error.
 *
 * Ownership in one sentence: a handle owns the segue_io passed to its open
 * function and everything it returns pointers to; the caller owns configs and
 * may free them after open.
 */
#ifndef SEGUE_H
#define SEGUE_H

#include "common.h"
#include "status.h"
#include "version.h"
#include "io.h"
#include "metadata.h"
#include "decoder.h"
#include "encoder.h"
#include "transcode.h"
#include "profile.h"
#include "batch.h"

#endif
