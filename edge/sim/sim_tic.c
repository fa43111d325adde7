// SPDX-License-Identifier: MIT
//
// sim_tic.c: the house model as TIC frames; see sim_tic.h. A frame is built
// group by group in a small writer that never writes past its buffer: a
// group is LF, its fields separated by SP (historic) or HT (standard), the
// checksum, CR.

#include "sim_tic.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fed/log.h"

#define STX 0x02
#define ETX 0x03
#define LF  0x0A
#define CR  0x0D
#define HT  0x09
#define SP  0x20

typedef struct writer {
	uint8_t *buf;
	size_t cap, len;
	bool overflow;
	tic_mode mode;
} writer;

static void
put(writer *w, const void *src, size_t n)
{
	if (w->overflow || n > w->cap - w->len) {
		w->overflow = true;
		return;
	}
	memcpy(w->buf + w->len, src, n);
	w->len += n;
}

static void
put_byte(writer *w, uint8_t b)
{
	put(w, &b, 1);
}

// One group: label, optional horodate (standard only), data, checksum.
static void
group(writer *w, const char *label, const char *horodate, const char *data)
{
	uint8_t sep = w->mode == TIC_MODE_STANDARD ? HT : SP;
	put_byte(w, LF);
	size_t start = w->len;
	put(w, label, strlen(label));
	put_byte(w, sep);
	if (horodate != NULL) {
		put(w, horodate, strlen(horodate));
		put_byte(w, sep);
	}
	put(w, data, strlen(data));
	if (w->mode == TIC_MODE_STANDARD)
		put_byte(w, sep); // standard sums through this separator
	if (w->overflow)
		return;
	uint8_t sum = tic_checksum(w->buf + start, w->len - start);
	if (w->mode == TIC_MODE_HISTORIC)
		put_byte(w, sep);
	put_byte(w, sum);
	put_byte(w, CR);
}

static void
group_num(writer *w, const char *label, const char *horodate, int digits,
    uint64_t value)
{
	char data[24];
	snprintf(
	    data, sizeof(data), "%0*llu", digits, (unsigned long long) value);
	group(w, label, horodate, data);
}

static bool
is_meter_id(const char *id)
{
	if (strlen(id) != TIC_METER_ID_LEN)
		return false;
	for (size_t i = 0; i < TIC_METER_ID_LEN; i++)
		if (id[i] < '0' || id[i] > '9')
			return false;
	return true;
}

// "SYYMMDDhhmmss" of t_ms in Europe/Paris local time.
static void
horodate(int64_t t_ms, char out[TIC_HORODATE_LEN + 1])
{
	int32_t off = sim_paris_offset_s(t_ms);
	time_t local = (time_t) (t_ms / 1000 + off);
	struct tm tm;
	gmtime_r(&local, &tm);
	char tmp[64]; // the fields are in range: 13 characters are written
	snprintf(tmp, sizeof(tmp), "%c%02d%02d%02d%02d%02d%02d",
	    off == 7200 ? 'E' : 'H', tm.tm_year % 100, tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	memcpy(out, tmp, TIC_HORODATE_LEN);
	out[TIC_HORODATE_LEN] = '\0';
}

static void
frame_historic(writer *w, const sim_tic_values *v)
{
	group(w, "ADCO", NULL, v->meter_id);
	group(w, "OPTARIF", NULL, "BASE");
	group(w, "ISOUSC", NULL, "45");
	group_num(w, "BASE", NULL, 9, v->index_wh);
	group(w, "PTEC", NULL, "TH..");
	group_num(w, "IINST", NULL, 3, (v->va + 115) / 230);
	group(w, "IMAX", NULL, "090");
	group_num(w, "PAPP", NULL, 5, v->va);
	group(w, "HHPHC", NULL, "A");
	group(w, "MOTDETAT", NULL, "000000");
}

static void
frame_standard(writer *w, const sim_tic_values *v)
{
	char hd[TIC_HORODATE_LEN + 1];
	horodate(v->t_ms, hd);
	group(w, "ADSC", NULL, v->meter_id);
	group(w, "VTIC", NULL, "02");
	group(w, "DATE", hd, "");
	group(w, "NGTF", NULL, "      BASE      ");
	group(w, "LTARF", NULL, "      BASE      ");
	group_num(w, "EAST", NULL, 9, v->index_wh);
	group_num(w, "EASF01", NULL, 9, v->index_wh);
	group_num(w, "EASF02", NULL, 9, 0);
	group_num(w, "EASD01", NULL, 9, v->index_wh);
	group_num(w, "IRMS1", NULL, 3, (v->va + v->volt_v / 2) / v->volt_v);
	group_num(w, "URMS1", NULL, 3, v->volt_v);
	group(w, "PREF", NULL, "09");
	group(w, "PCOUP", NULL, "09");
	group_num(w, "SINSTS", NULL, 5, v->va);
	group_num(w, "SMAXSN", hd, 5, v->smax_va);
	group(w, "STGE", NULL, "003A0001");
	group(w, "MSG1", NULL, "PAS DE          MESSAGE         ");
	group(w, "NTARF", NULL, "01");
	group(w, "NJOURF", NULL, "00");
	group(w, "NJOURF+1", NULL, "00");
}

static fed_status
check_values(tic_mode mode, const sim_tic_values *v)
{
	const char *bad = NULL;
	if (mode != TIC_MODE_HISTORIC && mode != TIC_MODE_STANDARD)
		bad = "mode";
	else if (!is_meter_id(v->meter_id))
		bad = "meter_id";
	else if (v->index_wh >= UINT64_C(1000000000))
		bad = "index_wh";
	else if (v->va >= 100000)
		bad = "va";
	else if (v->smax_va >= 100000)
		bad = "smax_va";
	else if (v->volt_v == 0 || v->volt_v >= 1000)
		bad = "volt_v";
	else if (v->t_ms < SIM_T_MIN_MS || v->t_ms >= SIM_T_MAX_MS)
		bad = "t_ms";
	if (bad == NULL)
		return FED_OK;
	fed_log(FED_LOG_ERR, "sim", "TIC frame: bad %s", bad);
	return FED_INVALID_ARGUMENT;
}

fed_status
sim_tic_encode(tic_mode mode, const sim_tic_values *v, uint8_t *buf,
    size_t cap, size_t *len)
{
	if (v == NULL || buf == NULL || len == NULL)
		return FED_INVALID_ARGUMENT;
	FED_TRY(check_values(mode, v));
	writer w = {buf, cap, 0, false, mode};
	put_byte(&w, STX);
	if (mode == TIC_MODE_HISTORIC)
		frame_historic(&w, v);
	else
		frame_standard(&w, v);
	put_byte(&w, ETX);
	*len = w.len;
	return w.overflow ? FED_OUT_OF_RANGE : FED_OK;
}

// The index at t_ms, through the cache when there is one.
static fed_status
index_at(const sim_house *h, uint64_t seed, int64_t t_ms, sim_tic_index *c,
    double *wh)
{
	if (c == NULL)
		return sim_house_index_wh(h, seed, t_ms, wh);
	int64_t b = t_ms / SIM_SLOT_MS * SIM_SLOT_MS;
	if (!c->valid || b < c->at_ms) {
		FED_TRY(sim_house_index_wh(h, seed, b, &c->wh));
		c->at_ms = b;
		c->valid = 1;
	}
	while (c->at_ms < b) {
		double d = 0;
		FED_TRY(sim_house_slot_wh(h, seed, c->at_ms, SIM_SLOT_MS, &d));
		c->wh += d;
		c->at_ms += SIM_SLOT_MS;
	}
	*wh = c->wh;
	return FED_OK;
}

fed_status
sim_tic_house_values(const sim_house *h, uint64_t seed, int64_t t_ms,
    const char *meter_id, sim_tic_index *cache, sim_tic_values *out)
{
	if (h == NULL || meter_id == NULL || out == NULL)
		return FED_INVALID_ARGUMENT;
	if (!is_meter_id(meter_id)) {
		fed_log(
		    FED_LOG_ERR, "sim", "TIC: bad meter_id '%s'", meter_id);
		return FED_INVALID_ARGUMENT;
	}
	double wh = 0, va = 0;
	FED_TRY(index_at(h, seed, t_ms, cache, &wh));
	FED_TRY(sim_house_va(h, seed, t_ms, &va));
	memset(out, 0, sizeof(*out));
	memcpy(out->meter_id, meter_id, TIC_METER_ID_LEN + 1);
	out->index_wh = (uint64_t) floor(wh);
	out->va = va < 0 ? 0 : va > 99999 ? 99999 : (uint32_t) lround(va);
	out->smax_va = out->va;
	out->volt_v = 230;
	out->t_ms = t_ms;
	return FED_OK;
}
