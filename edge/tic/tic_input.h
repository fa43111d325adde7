// SPDX-License-Identifier: MIT
//
// tic_input.h: where fed-edge-tic reads its bytes: a serial device set up
// with termios (7 data bits, even parity, 1 stop bit, raw, at 1200 Bd for
// the historic mode or 9600 Bd for the standard mode), or a file or FIFO of
// raw bytes (a capture to replay).
//
// Serial, mode AUTO: the port starts at 9600 Bd (standard); when no frame
// came for detect_ms, it switches to the other speed, and so on, until the
// reader reports frames (tic_input_note_frame). A port that fails (a USB
// adapter unplugged) is closed and reopened every 2 s, logged.
//
// File: read as fast as possible (replay_speed 0), or paced at the line's
// byte rate times replay_speed (10 bits a byte: 120 B/s historic, 960 B/s
// standard; in AUTO the pace follows the mode of the frames read). With
// follow, the end of the file is not the end: reading waits for more bytes
// (a FIFO whose writer went away, a file still growing).
//
// Threads: one thread uses an input. Nothing here parses the bytes.

#ifndef TIC_INPUT_H
#define TIC_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fed/status.h"
#include "tic_parse.h"

typedef struct tic_input tic_input;

typedef struct tic_input_opts {
	const char *device; // serial device path, or NULL
	const char *path; // file or FIFO, or NULL (exactly one of the two)
	tic_mode mode; // AUTO, HISTORIC or STANDARD
	double replay_speed; // file only: 0 as fast as possible, else > 0
	bool follow; // file only: wait for more bytes at the end
	int64_t detect_ms; // serial AUTO: time without a frame before the
	                   // speed is switched, >= 1000
} tic_input_opts;

// Opens the device (configured as above) or the file. opts is copied
// (strings too). INVALID_ARGUMENT for bad options (both or neither source,
// a negative speed); NOT_FOUND when the path does not exist;
// PERMISSION_DENIED when it cannot be opened for that reason; INTERNAL for
// other errors, and when the device refuses the serial settings (logged
// with errno). On OK *out is the caller's (tic_input_close).
fed_status tic_input_open(const tic_input_opts *opts, tic_input **out);

// Reads at most cap bytes into buf, waiting up to wait_ms for some, and
// sets *len (0 when nothing came in time, or while a failed device is
// being reopened). OUT_OF_RANGE at the end of a file read without follow;
// INVALID_ARGUMENT for NULL arguments. Blocks up to wait_ms (pacing
// included).
fed_status tic_input_read(
    tic_input *in, uint8_t *buf, size_t cap, int wait_ms, size_t *len);

// The reader saw a frame of `mode`: stops the serial speed detection (and
// resumes it if frames stop for detect_ms), and sets the replay pace.
void tic_input_note_frame(tic_input *in, tic_mode mode);

// The line speed now in use: the serial port's, or the replay's (1200 or
// 9600).
int tic_input_baud(const tic_input *in);

// Whether the speed changed since the last call (the reader then resets its
// parser: bytes read at the wrong speed are garbage).
bool tic_input_speed_changed(tic_input *in);

// Closes and frees. NULL does nothing.
void tic_input_close(tic_input *in);

#endif // TIC_INPUT_H
