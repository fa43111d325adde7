// SPDX-License-Identifier: MIT
//
// test_fed_edge_tic.c: the fed-edge-tic program end to end, into a real
// fed-node:
//   - each real capture replayed from a file (every frame sampled, and
//     with a 5 s period): the node holds exactly the index and power
//     points read from the capture, at the frames' times;
//   - the standard capture written, each byte with its even-parity bit as
//     a 7E1 line delivers it to an 8-bit port, to a pseudo-terminal that
//     the program reads as its serial device (--device);
//   - a capture damaged in place (a changed digit, a changed checksum, a
//     lost LF, a lost ETX): the damaged groups and frames give no point,
//     every other point is there, none is wrong;
//   - auto mode on a silent port switches to 1200 Bd, then reads the
//     historic frames written to it;
//   - store and forward: frames written to a FIFO while the node is killed
//     with SIGKILL and restarted: every point is stored exactly once.
//
// The expected points are computed here from the capture with the parser
// (tic_parse, tested on its own) and the rules of docs/edge.md: a frame's
// time is its DATE horodate in standard mode, else the replay clock (the
// first byte at T0, 10 bits a byte at 1200 or 9600 Bd, the frame's time
// being that of its ETX); registers at 0 are not sent until they move; a
// point no later than its series' last is not sent.

#define _XOPEN_SOURCE   700 // posix_openpt, grantpt, ptsname
#define _DEFAULT_SOURCE // cfmakeraw
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "edge_test.h"
#include "fed_test.h"
#include "tic_parse.h"

#define T0         INT64_C(1767222000000) // 2026-01-01T00:00:00+01:00
#define EXPECT_MAX 4096

typedef struct point {
	char id[80];
	int64_t ts;
	double v;
} point;

typedef struct expect {
	const char *prefix; // "site/linky/"
	int64_t period_ms; // 0: every frame
	uint64_t offset; // bytes fed so far
	int64_t next_index, next_power;
	char labels[32][TIC_LABEL_MAX + 1];
	int64_t last_ts[33]; // per label; [32] is the power
	int nonzero[32];
	size_t n_labels;
	point p[EXPECT_MAX];
	size_t n;
	int64_t frame_ts[512];
	size_t n_frames;
} expect;

static int64_t
frame_time(const expect *e, const tic_frame *f)
{
	const tic_group *g;
	int64_t ms;
	bool degraded = true;
	if (f->mode == TIC_MODE_STANDARD
	    && tic_frame_get(f, "DATE", &g) == FED_OK
	    && tic_horodate_to_ms(g->horodate, &ms, &degraded) == FED_OK
	    && !degraded)
		return ms;
	int baud = f->mode == TIC_MODE_HISTORIC ? 1200 : 9600;
	return T0 + (int64_t) (e->offset * 10000u / (uint64_t) baud);
}

static size_t
label_slot(expect *e, const char *label)
{
	for (size_t i = 0; i < e->n_labels; i++)
		if (strcmp(e->labels[i], label) == 0)
			return i;
	snprintf(e->labels[e->n_labels], sizeof(e->labels[0]), "%s", label);
	return e->n_labels++;
}

static void
push(expect *e, size_t slot, const char *quantity, int64_t ts, double v)
{
	if (ts <= e->last_ts[slot])
		return;
	e->last_ts[slot] = ts;
	assert_true(e->n < EXPECT_MAX);
	point *p = &e->p[e->n++];
	snprintf(p->id, sizeof(p->id), "%s%s", e->prefix, quantity);
	for (char *c = p->id + strlen(e->prefix); *c != '\0'; c++)
		*c = (char) tolower((unsigned char) *c);
	p->ts = ts;
	p->v = v;
}

static int
expect_indexes(expect *e, const tic_frame *f, int64_t t)
{
	int any = 0;
	for (size_t i = 0; i < f->n_groups; i++) {
		tic_unit unit;
		uint64_t wh;
		const char *label = f->groups[i].label;
		if (tic_label_unit(label, &unit, NULL) != FED_OK
		    || unit != TIC_UNIT_WH
		    || tic_frame_get_index_wh(f, label, &wh) != FED_OK)
			continue;
		any = 1;
		size_t slot = label_slot(e, label);
		if (wh == 0 && !e->nonzero[slot])
			continue;
		e->nonzero[slot] = 1;
		char q[32];
		snprintf(q, sizeof(q), "index_%s", label);
		push(e, slot, q, t, (double) wh);
	}
	return any;
}

static void
on_frame(const tic_frame *f, void *arg)
{
	expect *e = arg;
	int64_t t = frame_time(e, f);
	e->frame_ts[e->n_frames++] = t;
	int64_t next = e->period_ms == 0
	    ? t + 1
	    : (t / e->period_ms + 1) * e->period_ms;
	if (t >= e->next_index && expect_indexes(e, f, t))
		e->next_index = next;
	uint32_t va;
	if (t >= e->next_power
	    && (tic_frame_get_power_va(f, "PAPP", &va) == FED_OK
	        || tic_frame_get_power_va(f, "SINSTS", &va) == FED_OK)) {
		push(e, 32, "power", t, (double) va);
		e->next_power = next;
	}
}

static void
expect_points(expect *e, const uint8_t *buf, size_t len)
{
	static tic_parser p;
	assert_int_equal(tic_parser_init(&p, TIC_MODE_AUTO), FED_OK);
	size_t start = 0;
	for (size_t i = 0; i < len; i++) {
		if ((buf[i] & 0x7F) != 0x03 && i + 1 < len)
			continue;
		e->offset += i + 1 - start;
		tic_parser_feed(&p, buf + start, i + 1 - start, on_frame, e);
		start = i + 1;
	}
}

static uint8_t *
read_fixture(const char *name, size_t *len)
{
	char path[1024];
	snprintf(
	    path, sizeof(path), "%s/tic/%s", getenv("FED_FIXTURES"), name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	uint8_t *buf = malloc(1 << 16);
	*len = fread(buf, 1, 1 << 16, f);
	fclose(f);
	return buf;
}

static void
write_file(const char *path, const uint8_t *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	fclose(f);
}

// The distinct series of the expectation.
static size_t
series_of(const expect *e, char ids[][80], size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < e->n; i++) {
		size_t k = 0;
		while (k < n && strcmp(ids[k], e->p[i].id) != 0)
			k++;
		if (k == n && n < cap)
			snprintf(ids[n++], 80, "%s", e->p[i].id);
	}
	return n;
}

// The node holds exactly the expected points (ids, times, values).
static void
assert_stored(edge_node *n, const expect *e)
{
	char ids[40][80];
	size_t n_ids = series_of(e, ids, 40);
	size_t total = 0;
	for (size_t s = 0; s < n_ids; s++) {
		int64_t *ts;
		double *v;
		size_t got;
		assert_int_equal(
		    edge_query_raw(n->client, ids[s], &ts, &v, &got), FED_OK);
		size_t k = 0;
		for (size_t i = 0; i < e->n; i++) {
			if (strcmp(e->p[i].id, ids[s]) != 0)
				continue;
			assert_true(k < got);
			assert_int_equal(ts[k], e->p[i].ts);
			assert_true(v[k] == e->p[i].v);
			k++;
		}
		assert_int_equal(k, got);
		total += got;
		free(ts);
		free(v);
	}
	assert_int_equal(total, e->n);
}

// Replays input into the node: as fast as possible, or paced at `speed`
// times the line's rate (small reads: the parser must keep its frame
// across them, and across the pace's change to 1200 Bd on the first
// historic frame).
static void
run_replay(edge_node *n, const char *input, const char *site,
    const char *period, const char *speed, const char *log)
{
	char a[9][1100];
	snprintf(a[8], sizeof(a[8]), "--replay-speed=%s", speed);
	snprintf(a[0], sizeof(a[0]), "--node=%s", n->rpc);
	snprintf(a[1], sizeof(a[1]), "--input=%s", input);
	snprintf(a[2], sizeof(a[2]), "--site=%s", site);
	snprintf(a[3], sizeof(a[3]), "--period=%s", period);
	snprintf(a[4], sizeof(a[4]), "--power-period=%s", period);
	snprintf(a[5], sizeof(a[5]), "--replay-clock=%lld", (long long) T0);
	snprintf(a[6], sizeof(a[6]), "--spool-dir=%s/spool-%s", n->dir, site);
	snprintf(a[7], sizeof(a[7]), "--token=%s", EDGE_TEST_ADMIN);
	char *argv[] = {FED_EDGE_TIC_BIN, a[0], a[1], a[2], a[3], a[4], a[5],
	    a[6], a[7], a[8], "--spool-sync=group", NULL};
	int rc = edge_run(argv, log, 60000);
	if (rc != 0)
		edge_dump_file(log);
	assert_int_equal(rc, 0);
}

static void
replay_fixture(const char *name, const char *site, const char *period,
    int64_t period_ms, const char *speed, size_t min_points)
{
	edge_node n;
	assert_int_equal(edge_node_start(&n, "tic-replay"), 0);
	size_t len;
	uint8_t *buf = read_fixture(name, &len);
	static expect e;
	memset(&e, 0, sizeof(e));
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "%s/linky/", site);
	e.prefix = prefix;
	e.period_ms = period_ms;
	expect_points(&e, buf, len);
	assert_true(e.n >= min_points);
	char input[1024], log[1024];
	snprintf(
	    input, sizeof(input), "%s/tic/%s", getenv("FED_FIXTURES"), name);
	snprintf(log, sizeof(log), "%s/tic.log", n.dir);
	run_replay(&n, input, site, period, speed, log);
	assert_stored(&n, &e);
	uint64_t points = 0;
	assert_int_equal(edge_log_counter(log, "points", &points), 0);
	assert_int_equal(points, e.n);
	free(buf);
	edge_node_stop(&n);
}

static void
test_replay_standard(void **state)
{
	(void) state;
	// 12 frames, one pair within one second: 11 of each series.
	replay_fixture("linky_1P_standard.bin", "std", "0", 0, "0", 44);
}

static void
test_replay_historic_3p(void **state)
{
	(void) state;
	replay_fixture("linky_3P_historic.bin", "tri", "0", 0, "0", 12);
}

static void
test_replay_tempo(void **state)
{
	(void) state;
	// Read at 10 times the line's rate (about 2 s): small reads.
	replay_fixture("historic_tempo_frames.bin", "tempo", "0", 0, "10", 70);
}

static void
test_replay_tempo_period(void **state)
{
	(void) state;
	// 10 frames over ~23 s of line time: one sample per 5 s slot.
	replay_fixture(
	    "historic_tempo_frames.bin", "tempo5", "5s", 5000, "0", 14);
}

// Finds the n-th (0-based) occurrence of needle in buf.
static size_t
find(const uint8_t *buf, size_t len, const char *needle, int nth)
{
	size_t k = strlen(needle);
	for (size_t i = 0; i + k <= len; i++)
		if (memcmp(buf + i, needle, k) == 0 && nth-- == 0)
			return i;
	fail_msg("'%s' not found", needle);
	return 0;
}

static int
has_point(const expect *e, const char *id, int64_t ts)
{
	for (size_t i = 0; i < e->n; i++)
		if (strcmp(e->p[i].id, id) == 0 && e->p[i].ts == ts)
			return 1;
	return 0;
}

static void
test_damaged_capture(void **state)
{
	(void) state;
	edge_node n;
	assert_int_equal(edge_node_start(&n, "tic-damage"), 0);
	size_t len;
	uint8_t *clean = read_fixture("historic_tempo_frames.bin", &len);
	uint8_t *bad = malloc(len);
	memcpy(bad, clean, len);
	// In place, so that every frame keeps its place (and its time):
	// frame 1: a digit of BBRHCJB changed (its checksum fails);
	size_t at = find(bad, len, "BBRHCJB ", 1);
	bad[at + 16]
	    = bad[at + 16] == '9' ? '0' : (uint8_t) (bad[at + 16] + 1);
	// frame 3: the checksum of PAPP changed;
	at = find(bad, len, "PAPP ", 3);
	bad[at + 11] = bad[at + 11] == '!' ? '"' : '!';
	// frame 5: the LF before IINST lost in noise;
	at = find(bad, len, "IINST ", 5);
	bad[at - 1] = 0xFF;
	// frame 7: its ETX lost, so the next STX truncates it.
	at = find(bad, len, "MOTDETAT ", 7);
	while (bad[at] != 0x03)
		at++;
	bad[at] = 'Z';
	static expect e, d;
	memset(&e, 0, sizeof(e));
	memset(&d, 0, sizeof(d));
	e.prefix = d.prefix = "dmg/linky/";
	expect_points(&e, clean, len);
	expect_points(&d, bad, len);
	char input[1024], log[1024];
	snprintf(input, sizeof(input), "%s/damaged.bin", n.dir);
	snprintf(log, sizeof(log), "%s/tic.log", n.dir);
	write_file(input, bad, len);
	run_replay(&n, input, "dmg", "0", "0", log);
	assert_stored(&n, &d); // the parser's view of the damaged bytes
	// ... which lacks exactly the damaged values, and holds nothing else.
	for (size_t i = 0; i < d.n; i++)
		assert_true(has_point(&e, d.p[i].id, d.p[i].ts));
	assert_int_equal(e.n_frames, 10);
	assert_int_equal(d.n_frames, 9);
	assert_false(has_point(&d, "dmg/linky/index_bbrhcjb", e.frame_ts[1]));
	assert_true(has_point(&d, "dmg/linky/index_bbrhpjb", e.frame_ts[1]));
	assert_false(has_point(&d, "dmg/linky/power", e.frame_ts[3]));
	assert_true(has_point(&d, "dmg/linky/power", e.frame_ts[5]));
	assert_false(has_point(&d, "dmg/linky/power", e.frame_ts[7]));
	assert_int_equal(e.n - d.n, 1 + 1 + 7); // frame 7 had 7 points
	uint64_t v = 0;
	assert_int_equal(edge_log_counter(log, "groups_bad_checksum", &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(edge_log_counter(log, "frames_truncated", &v), 0);
	assert_int_equal(v, 1);
	free(clean);
	free(bad);
	edge_node_stop(&n);
}

// Waits until `needle` appears in the file (bounded). 1 if it did.
static int
wait_in_file(const char *path, const char *needle, int timeout_ms)
{
	for (int waited = 0; waited <= timeout_ms; waited += 50) {
		FILE *f = fopen(path, "r");
		char line[2048];
		int found = 0;
		while (f != NULL && !found && fgets(line, sizeof(line), f))
			found = strstr(line, needle) != NULL;
		if (f != NULL)
			fclose(f);
		if (found)
			return 1;
		struct timespec ts = {0, 50 * 1000000L};
		nanosleep(&ts, NULL);
	}
	return 0;
}

// A file without one TIC frame is a failure saying so, not exit 0.
static void
test_no_frame(void **state)
{
	(void) state;
	edge_node n;
	assert_int_equal(edge_node_start(&n, "tic-noframe"), 0);
	char input[1024], log[1024], a[5][1100];
	snprintf(input, sizeof(input), "%s/not-tic.csv", n.dir);
	snprintf(log, sizeof(log), "%s/tic.log", n.dir);
	const char text[] = "timestamp,value\n2026-01-01T00:00:00Z,1\n";
	write_file(input, (const uint8_t *) text, sizeof(text) - 1);
	snprintf(a[0], sizeof(a[0]), "--node=%s", n.rpc);
	snprintf(a[1], sizeof(a[1]), "--input=%s", input);
	snprintf(a[2], sizeof(a[2]), "--spool-dir=%s/spool", n.dir);
	snprintf(a[3], sizeof(a[3]), "--token=%s", EDGE_TEST_ADMIN);
	snprintf(a[4], sizeof(a[4]), "--replay-clock=%lld", (long long) T0);
	char *argv[] = {FED_EDGE_TIC_BIN, a[0], a[1], a[2], a[3], a[4],
	    "--site=noframe", "--replay-speed=0", NULL};
	assert_int_equal(edge_run(argv, log, 60000), 1);
	assert_true(wait_in_file(log, "no TIC frame decoded", 1000));
	edge_node_stop(&n);
}

// Writes buf to a non-blocking fd within timeout_ms.
static void
write_all_within(int fd, const uint8_t *buf, size_t len, int timeout_ms)
{
	for (int waited = 0; len > 0; waited += 10) {
		assert_true(waited < timeout_ms);
		ssize_t k = write(fd, buf, len);
		if (k > 0) {
			buf += k;
			len -= (size_t) k;
			continue;
		}
		assert_true(k < 0 && errno == EAGAIN);
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		poll(&p, 1, 10);
	}
}

// 7E1 raw at `speed`, or 8N1 raw where 7 data bits are refused (some
// pseudo-terminals).
static void
set_7e1(int fd, speed_t speed)
{
	struct termios t;
	assert_int_equal(tcgetattr(fd, &t), 0);
	cfmakeraw(&t);
	cfsetispeed(&t, speed);
	cfsetospeed(&t, speed);
	struct termios raw = t;
	t.c_cflag &= ~(tcflag_t) (CSIZE | CSTOPB | PARODD);
	t.c_cflag |= CS7 | PARENB | CLOCAL | CREAD;
	if (tcsetattr(fd, TCSANOW, &t) != 0)
		assert_int_equal(tcsetattr(fd, TCSANOW, &raw), 0);
}

// The bytes as a 7E1 line delivers them to a port read 8 bits wide: the
// even-parity bit in bit 7.
static void
add_parity(uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned ones = 0;
		for (unsigned b = buf[i] & 0x7F; b != 0; b >>= 1)
			ones += b & 1;
		buf[i] = (uint8_t) ((buf[i] & 0x7F) | ((ones & 1) << 7));
	}
}

static void
test_serial_pty(void **state)
{
	(void) state;
	edge_node n;
	assert_int_equal(edge_node_start(&n, "tic-pty"), 0);
	int master = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(master >= 0);
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	char slave_path[256];
	snprintf(slave_path, sizeof(slave_path), "%s", ptsname(master));
	// Held open (raw, 9600 Bd 7E1) so that nothing is cooked before the
	// program has set the port, and the master never sees a hang-up.
	int slave = open(slave_path, O_RDWR | O_NOCTTY);
	assert_true(slave >= 0);
	set_7e1(slave, B9600);
	fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);

	size_t len;
	uint8_t *buf = read_fixture("linky_1P_standard.bin", &len);
	static expect e;
	memset(&e, 0, sizeof(e));
	e.prefix = "pty/linky/";
	expect_points(&e, buf, len); // DATE-stamped: no replay clock needed
	add_parity(buf, len);
	char a[5][1100], log[1024];
	snprintf(a[0], sizeof(a[0]), "--node=%s", n.rpc);
	snprintf(a[1], sizeof(a[1]), "--device=%s", slave_path);
	snprintf(a[2], sizeof(a[2]), "--spool-dir=%s/spool", n.dir);
	snprintf(a[3], sizeof(a[3]), "--token=%s", EDGE_TEST_ADMIN);
	snprintf(a[4], sizeof(a[4]), "--mode=standard");
	snprintf(log, sizeof(log), "%s/tic.log", n.dir);
	char *argv[] = {FED_EDGE_TIC_BIN, a[0], a[1], a[2], a[3], a[4],
	    "--site=pty", "--period=0", "--power-period=0", NULL};
	int pid = edge_proc_start(argv, log);
	assert_true(pid > 0);
	// Write the capture once the port is set (the program flushes what
	// came before), then wait for the last frame's points.
	if (!wait_in_file(log, "9600 Bd", 20000)) {
		edge_dump_file(log);
		fail_msg("the program did not open %s", slave_path);
	}
	write_all_within(master, buf, len, 20000);
	size_t want = 0;
	for (size_t i = 0; i < e.n; i++)
		want += strcmp(e.p[i].id, "pty/linky/power") == 0;
	size_t got
	    = edge_wait_points(n.client, "pty/linky/power", want, 20000);
	assert_int_equal(edge_proc_stop(pid, SIGTERM, 10000), 0);
	if (got != want)
		edge_dump_file(log);
	assert_int_equal(got, want);
	assert_stored(&n, &e);
	close(slave);
	close(master);
	free(buf);
	edge_node_stop(&n);
}

// A pseudo-terminal in raw mode, its slave held open; the slave's path.
static int
open_pty(char *slave_path, size_t len, int *slave)
{
	int master = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(master >= 0);
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	snprintf(slave_path, len, "%s", ptsname(master));
	*slave = open(slave_path, O_RDWR | O_NOCTTY);
	assert_true(*slave >= 0);
	set_7e1(*slave, B9600);
	fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
	return master;
}

static void
test_serial_detect(void **state)
{
	(void) state;
	edge_node n;
	assert_int_equal(edge_node_start(&n, "tic-detect"), 0);
	char slave_path[256];
	int slave = -1;
	int master = open_pty(slave_path, sizeof(slave_path), &slave);
	size_t len;
	uint8_t *buf = read_fixture("historic_tempo_frames.bin", &len);
	char a[4][1100], log[1024];
	snprintf(a[0], sizeof(a[0]), "--node=%s", n.rpc);
	snprintf(a[1], sizeof(a[1]), "--device=%s", slave_path);
	snprintf(a[2], sizeof(a[2]), "--spool-dir=%s/spool", n.dir);
	snprintf(a[3], sizeof(a[3]), "--token=%s", EDGE_TEST_ADMIN);
	snprintf(log, sizeof(log), "%s/tic.log", n.dir);
	char *argv[] = {FED_EDGE_TIC_BIN, a[0], a[1], a[2], a[3], "--site=det",
	    "--mode=auto", "--detect-timeout=1s", "--period=0",
	    "--power-period=0", NULL};
	int pid = edge_proc_start(argv, log);
	assert_true(pid > 0);
	// Silence at 9600 Bd: the program tries 1200 Bd (historic).
	assert_true(wait_in_file(log, "9600 Bd", 20000));
	if (!wait_in_file(log, "1200 Bd", 20000)) {
		edge_dump_file(log);
		fail_msg("no switch to 1200 Bd");
	}
	// One frame at a time, as a meter sends them (the board's clock
	// stamps them: two frames read within one millisecond would share a
	// time), each once the previous one is stored.
	size_t from = 0, got = 0;
	for (int k = 0; k < 10; k++) {
		size_t to = k < 9 ? find(buf, len, "\002", k + 1) : len;
		uint8_t chunk[4096];
		memcpy(chunk, buf + from, to - from);
		add_parity(chunk, to - from);
		write_all_within(master, chunk, to - from, 20000);
		got = edge_wait_points(
		    n.client, "det/linky/power", (size_t) k + 1, 20000);
		from = to;
	}
	assert_int_equal(edge_proc_stop(pid, SIGTERM, 10000), 0);
	if (got != 10)
		edge_dump_file(log);
	assert_int_equal(got, 10);
	close(slave);
	close(master);
	free(buf);
	edge_node_stop(&n);
}

static void
test_store_and_forward(void **state)
{
	(void) state;
	edge_node n;
	assert_int_equal(edge_node_start(&n, "tic-sf"), 0);
	size_t len;
	uint8_t *buf = read_fixture("historic_tempo_frames.bin", &len);
	static expect e;
	memset(&e, 0, sizeof(e));
	e.prefix = "sf/linky/";
	expect_points(&e, buf, len);
	char fifo[1024], log[1024];
	snprintf(fifo, sizeof(fifo), "%s/tic.fifo", n.dir);
	snprintf(log, sizeof(log), "%s/tic.log", n.dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	int w = open(fifo, O_RDWR | O_NONBLOCK); // never blocks, never EOF
	assert_true(w >= 0);
	char a[5][1100];
	snprintf(a[0], sizeof(a[0]), "--node=%s", n.rpc);
	snprintf(a[1], sizeof(a[1]), "--input=%s", fifo);
	snprintf(a[2], sizeof(a[2]), "--spool-dir=%s/spool", n.dir);
	snprintf(a[3], sizeof(a[3]), "--token=%s", EDGE_TEST_ADMIN);
	snprintf(a[4], sizeof(a[4]), "--replay-clock=%lld", (long long) T0);
	char *argv[] = {FED_EDGE_TIC_BIN, a[0], a[1], a[2], a[3], a[4],
	    "--follow", "--site=sf", "--period=0", "--power-period=0",
	    "--rpc-timeout=1s", "--backoff-min=50ms", "--backoff-max=300ms",
	    NULL};
	int pid = edge_proc_start(argv, log);
	assert_true(pid > 0);
	// Five frames while the node is up ...
	size_t half = find(buf, len, "\002", 5);
	write_all_within(w, buf, half, 10000);
	assert_int_equal(
	    edge_wait_points(n.client, "sf/linky/power", 5, 20000), 5);
	// ... the rest while it is down (SIGKILL), until the collector
	// reports failed sends, then the node comes back.
	edge_node_kill(&n, SIGKILL);
	write_all_within(w, buf + half, len - half, 10000);
	assert_true(wait_in_file(log, "will retry", 20000));
	assert_int_equal(edge_node_restart(&n), 0);
	size_t got = edge_wait_points(n.client, "sf/linky/power", 10, 30000);
	if (got != 10) { // what the collector and the node said meanwhile
		char node_log[1100];
		snprintf(node_log, sizeof(node_log), "%s/node.log", n.dir);
		edge_dump_file(log);
		edge_dump_file(node_log);
	}
	assert_int_equal(got, 10);
	size_t n_idx = 0;
	for (size_t i = 0; i < e.n; i++)
		n_idx += strcmp(e.p[i].id, "sf/linky/index_bbrhcjb") == 0;
	assert_int_equal(
	    edge_wait_points(n.client, "sf/linky/index_bbrhcjb", n_idx, 30000),
	    n_idx);
	assert_int_equal(edge_proc_stop(pid, SIGTERM, 10000), 0);
	assert_stored(&n, &e); // every point, exactly once
	uint64_t pending = 1, dead = 1;
	assert_int_equal(edge_log_counter(log, "pending", &pending), 0);
	assert_int_equal(edge_log_counter(log, "dead", &dead), 0);
	assert_int_equal(pending, 0);
	assert_int_equal(dead, 0);
	close(w);
	free(buf);
	edge_node_stop(&n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(
	        test_replay_standard, edge_test_teardown),
	    cmocka_unit_test_teardown(
	        test_replay_historic_3p, edge_test_teardown),
	    cmocka_unit_test_teardown(test_replay_tempo, edge_test_teardown),
	    cmocka_unit_test_teardown(
	        test_replay_tempo_period, edge_test_teardown),
	    cmocka_unit_test_teardown(
	        test_damaged_capture, edge_test_teardown),
	    cmocka_unit_test_teardown(test_no_frame, edge_test_teardown),
	    cmocka_unit_test_teardown(test_serial_pty, edge_test_teardown),
	    cmocka_unit_test_teardown(test_serial_detect, edge_test_teardown),
	    cmocka_unit_test_teardown(
	        test_store_and_forward, edge_test_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
