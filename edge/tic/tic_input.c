// SPDX-License-Identifier: MIT
//
// tic_input.c: serial port (termios) and file input of fed-edge-tic.

#define _DEFAULT_SOURCE // cfmakeraw, B9600 names on glibc
#include "tic_input.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "fed/clock.h"
#include "fed/log.h"

#define REOPEN_MS 2000

struct tic_input {
	tic_input_opts opts;
	char *source; // device or path
	bool serial;
	int fd;
	int baud; // 1200 or 9600
	bool speed_changed;
	int64_t last_frame_ms; // monotonic: last frame, or last speed switch
	int64_t reopen_at_ms; // monotonic: next reopen try (fd < 0)
	int64_t log_ms;
	// Replay pacing: bytes read since pace_start_ms at this speed.
	int64_t pace_start_ms;
	uint64_t pace_bytes;
};

static fed_status
errno_status(int e)
{
	return e == ENOENT              ? FED_NOT_FOUND
	    : e == EACCES || e == EPERM ? FED_PERMISSION_DENIED
	                                : FED_INTERNAL;
}

static int
baud_of(tic_mode mode)
{
	return mode == TIC_MODE_HISTORIC ? 1200 : 9600;
}

// Raw, no flow control, at in->baud: 7E1, or 8N1 with bits 7 bits wide.
static int
set_port(int fd, int baud, bool seven_e_one)
{
	struct termios t;
	if (tcgetattr(fd, &t) != 0)
		return -1;
	cfmakeraw(&t);
	t.c_cflag &= ~(tcflag_t) (CSIZE | CSTOPB | PARENB | PARODD | CRTSCTS);
	t.c_cflag |= CLOCAL | CREAD | (seven_e_one ? CS7 | PARENB : CS8);
	t.c_iflag &= ~(tcflag_t) (IXON | IXOFF | IXANY | INPCK | ISTRIP);
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	speed_t sp = baud == 1200 ? B1200 : B9600;
	if (cfsetispeed(&t, sp) != 0 || cfsetospeed(&t, sp) != 0)
		return -1;
	return tcsetattr(fd, TCSANOW, &t);
}

// 7E1; a port that refuses 7 data bits (some USB adapters' drivers, some
// pseudo-terminals) is read as 8N1: the parity bit then arrives as bit 7,
// which the parser masks (docs/tic.md), and a wrong bit still fails the
// group's checksum.
static fed_status
configure(tic_input *in)
{
	bool seven = true;
	if (set_port(in->fd, in->baud, true) != 0) {
		if (errno != EINVAL || set_port(in->fd, in->baud, false) != 0)
			return FED_INTERNAL;
		seven = false;
	}
	tcflush(in->fd, TCIFLUSH);
	fed_log(FED_LOG_INFO, "tic", "%s: %d Bd %s", in->source, in->baud,
	    seven ? "7E1" : "8N1 (7E1 refused; parity bit masked)");
	return FED_OK;
}

static fed_status
open_source(tic_input *in)
{
	int flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK;
	if (in->serial)
		flags |= O_NOCTTY;
	in->fd = open(in->source, flags);
	if (in->fd < 0) {
		int e = errno;
		fed_log(FED_LOG_ERR, "tic", "opening %s: %s", in->source,
		    strerror(e));
		return errno_status(e);
	}
	if (!in->serial)
		return FED_OK;
	fed_status st = configure(in);
	if (st != FED_OK) {
		fed_log(FED_LOG_ERR, "tic", "%s: serial settings refused: %s",
		    in->source, strerror(errno));
		close(in->fd);
		in->fd = -1;
		return st;
	}
	return FED_OK;
}

fed_status
tic_input_open(const tic_input_opts *opts, tic_input **out)
{
	if (opts == NULL || out == NULL
	    || (opts->device == NULL) == (opts->path == NULL)
	    || !(opts->replay_speed >= 0) || opts->mode < TIC_MODE_AUTO
	    || opts->mode > TIC_MODE_STANDARD
	    || (opts->device != NULL && opts->detect_ms < 1000))
		return FED_INVALID_ARGUMENT;
	tic_input *in = calloc(1, sizeof(*in));
	if (in == NULL)
		return FED_RESOURCE_EXHAUSTED;
	in->opts = *opts;
	in->serial = opts->device != NULL;
	in->source = strdup(in->serial ? opts->device : opts->path);
	in->baud = baud_of(opts->mode);
	in->last_frame_ms = in->pace_start_ms = fed_clock_mono_ms();
	in->fd = -1;
	fed_status st
	    = in->source == NULL ? FED_RESOURCE_EXHAUSTED : open_source(in);
	if (st != FED_OK) {
		tic_input_close(in);
		return st;
	}
	in->opts.device = in->opts.path = NULL; // not kept: see source
	*out = in;
	return FED_OK;
}

void
tic_input_close(tic_input *in)
{
	if (in == NULL)
		return;
	if (in->fd >= 0)
		close(in->fd);
	free(in->source);
	free(in);
}

static void
set_baud(tic_input *in, int baud)
{
	if (baud == in->baud)
		return;
	in->baud = baud;
	in->speed_changed = in->serial; // a file's bytes have no speed
	in->pace_start_ms = fed_clock_mono_ms();
	in->pace_bytes = 0;
}

void
tic_input_note_frame(tic_input *in, tic_mode mode)
{
	in->last_frame_ms = fed_clock_mono_ms();
	if (!in->serial && in->opts.mode == TIC_MODE_AUTO)
		set_baud(in, baud_of(mode));
}

int
tic_input_baud(const tic_input *in)
{
	return in->baud;
}

bool
tic_input_speed_changed(tic_input *in)
{
	bool c = in->speed_changed;
	in->speed_changed = false;
	return c;
}

static void
sleep_ms(int64_t ms)
{
	if (ms <= 0)
		return;
	struct timespec ts
	    = {(time_t) (ms / 1000), (long) (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

// Serial AUTO: no frame for detect_ms at this speed, try the other.
static void
detect(tic_input *in)
{
	int64_t now = fed_clock_mono_ms();
	if (in->opts.mode != TIC_MODE_AUTO || in->fd < 0
	    || now - in->last_frame_ms < in->opts.detect_ms)
		return;
	set_baud(in, in->baud == 9600 ? 1200 : 9600);
	in->last_frame_ms = now;
	fed_log(FED_LOG_NOTICE, "tic", "%s: no frame, trying %d Bd",
	    in->source, in->baud);
	if (configure(in) != FED_OK)
		fed_log(FED_LOG_ERR, "tic", "%s: serial settings refused: %s",
		    in->source, strerror(errno));
}

// A failed device: closed now, reopened every REOPEN_MS.
static void
device_failed(tic_input *in, int e)
{
	fed_log_limited(&in->log_ms, 60000, FED_LOG_ERR, "tic",
	    "%s: %s; reopening", in->source, e != 0 ? strerror(e) : "closed");
	close(in->fd);
	in->fd = -1;
	in->reopen_at_ms = fed_clock_mono_ms() + REOPEN_MS;
}

static bool
reopen(tic_input *in, int wait_ms)
{
	int64_t left = in->reopen_at_ms - fed_clock_mono_ms();
	if (left > 0) {
		sleep_ms(left < wait_ms ? left : wait_ms);
		return false;
	}
	if (open_source(in) == FED_OK) {
		in->last_frame_ms = fed_clock_mono_ms();
		in->speed_changed = true;
		return true;
	}
	in->reopen_at_ms = fed_clock_mono_ms() + REOPEN_MS;
	return false;
}

// Replay pacing: how many bytes may be read now (waiting up to wait_ms for
// the first), or cap when unpaced.
static size_t
paced(tic_input *in, size_t cap, int wait_ms)
{
	if (in->serial || in->opts.replay_speed <= 0)
		return cap;
	double rate = in->baud / 10.0 * in->opts.replay_speed; // bytes/s
	int64_t now = fed_clock_mono_ms();
	double due = (double) (now - in->pace_start_ms) * rate / 1000.0
	    - (double) in->pace_bytes;
	if (due < 1) {
		int64_t ms = (int64_t) ((1 - due) * 1000.0 / rate) + 1;
		sleep_ms(ms < wait_ms ? ms : wait_ms);
		now = fed_clock_mono_ms();
		due = (double) (now - in->pace_start_ms) * rate / 1000.0
		    - (double) in->pace_bytes;
	}
	if (due < 1)
		return 0;
	return due < (double) cap ? (size_t) due : cap;
}

fed_status
tic_input_read(
    tic_input *in, uint8_t *buf, size_t cap, int wait_ms, size_t *len)
{
	if (in == NULL || buf == NULL || len == NULL || cap == 0)
		return FED_INVALID_ARGUMENT;
	*len = 0;
	if (in->fd < 0 && !reopen(in, wait_ms))
		return FED_OK;
	if (in->serial)
		detect(in);
	size_t want = paced(in, cap, wait_ms);
	if (want == 0)
		return FED_OK;
	struct pollfd p = {.fd = in->fd, .events = POLLIN};
	int rc = poll(&p, 1, wait_ms);
	if (rc < 0 && errno != EINTR && in->serial)
		device_failed(in, errno);
	if (rc <= 0)
		return FED_OK;
	ssize_t n = read(in->fd, buf, want);
	if (n > 0) {
		*len = (size_t) n;
		in->pace_bytes += (uint64_t) n;
		return FED_OK;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return FED_OK;
	if (in->serial) {
		device_failed(in, n < 0 ? errno : 0);
		return FED_OK;
	}
	if (n < 0) {
		fed_log(FED_LOG_ERR, "tic", "reading %s: %s", in->source,
		    strerror(errno));
		return FED_INTERNAL;
	}
	if (!in->opts.follow)
		return FED_OUT_OF_RANGE;
	sleep_ms(wait_ms); // end of what was written so far
	return FED_OK;
}
