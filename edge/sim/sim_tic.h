// SPDX-License-Identifier: MIT
//
// sim_tic.h: the simulated house as a Linky sees it, written as real TIC
// frames (historic or standard mode, Enedis-NOI-CPT_54E) so that
// fed-edge-sim can feed fed-edge-tic through its real parser.
//
// sim_tic_house_values() reads the house model at an instant (BASE index,
// apparent power, meter clock); sim_tic_encode() writes those values as one
// frame, STX ... ETX, every group with its checksum computed by the
// parser's own tic_checksum(). Nothing here allocates or logs except on bad
// input; every function may be called from any thread.

#ifndef SIM_TIC_H
#define SIM_TIC_H

#include <stddef.h>
#include <stdint.h>

#include "fed/status.h"
#include "sim_model.h"
#include "tic_parse.h"

// Room enough for one frame of either mode (a standard one is ~330 bytes).
#define SIM_TIC_FRAME_MAX 1024

// What one frame shows. Single phase, BASE option, 9 kVA (45 A).
typedef struct sim_tic_values {
	char meter_id[TIC_METER_ID_LEN + 1]; // 12 digits (ADCO / ADSC)
	uint64_t index_wh; // BASE / EAST / EASF01 / EASD01, < 10^9
	uint32_t va; // PAPP / SINSTS, < 10^5
	uint32_t smax_va; // SMAXSN: the day's highest so far, < 10^5
	uint32_t volt_v; // URMS1, < 1000
	int64_t t_ms; // the meter's clock (DATE horodate), UTC ms
} sim_tic_values;

// The index at a 5-minute boundary, kept between calls of a live writer so
// that each frame costs a slot or two rather than the whole history. Start
// it zeroed; it serves one (house, seed) only.
typedef struct sim_tic_index {
	int64_t at_ms; // the boundary; meaningful when valid
	double wh; // sim_house_index_wh at at_ms
	int valid;
} sim_tic_index;

// Fills *out for the house `h` with `seed` at instant t_ms: index_wh the
// model's BASE index at t_ms (sim_house_index_wh, an integer of Wh), va
// its apparent power (sim_house_va, rounded), smax_va = va, volt_v 230,
// meter_id `meter_id` (12 digits, borrowed), t_ms. With a cache (may be
// NULL) the index is the cached one plus the slots since (the sum of the
// same integer slots: equal to sim_house_index_wh), recomputed in full when
// t_ms goes back. INVALID_ARGUMENT for a NULL pointer or a meter id that is
// not 12 digits; the model's status otherwise (e.g. OUT_OF_RANGE for t_ms
// before the house's index origin).
fed_status sim_tic_house_values(const sim_house *h, uint64_t seed,
    int64_t t_ms, const char *meter_id, sim_tic_index *cache,
    sim_tic_values *out);

// Writes one frame of `mode` (HISTORIC or STANDARD) with the values *v into
// buf[0..cap), its length in *len. Historic: ADCO, OPTARIF BASE, ISOUSC 45,
// BASE, PTEC TH.., IINST (va / 230 rounded), IMAX 090, PAPP, HHPHC A,
// MOTDETAT 000000. Standard: ADSC, VTIC 02, DATE (horodate of t_ms in
// Europe/Paris, season letter E or H), NGTF and LTARF BASE, EAST, EASF01,
// EASF02 0, EASD01, IRMS1, URMS1, PREF 09, PCOUP 09, SINSTS, SMAXSN (with
// its horodate), STGE, NTARF 01, NJOURF 00, NJOURF+1 00, MSG1.
// INVALID_ARGUMENT (logged, naming the field) for a NULL pointer, mode
// AUTO or unknown, a value wider than its group, a meter id that is not 12
// digits, or t_ms outside [SIM_T_MIN_MS, SIM_T_MAX_MS); OUT_OF_RANGE when
// cap is too small (then *len is unspecified).
fed_status sim_tic_encode(tic_mode mode, const sim_tic_values *v, uint8_t *buf,
    size_t cap, size_t *len);

#endif // SIM_TIC_H
