// SPDX-License-Identifier: MIT
//
// invest_store.h: fed-invest's state in sqlite: projects, holdings and the
// investors' linked consumption series. The only module of fed-invest that
// opens sqlite.
//
// One database file (invest.db) in the data folder, in WAL mode with
// synchronous=FULL: a write is answered OK only once committed. The schema
// carries a version (PRAGMA user_version): an older one is migrated in one
// transaction at open (1 -> 2: the links' grant tokens; 2 -> 3: a checksum
// per row, computed for the rows already stored), a newer one is refused. The
// file holds the households' grant tokens: it is created readable by its owner
// only. Every write is idempotent, since an RPC may be resent: the same
// project created twice, the same holding put twice, a holding removed twice
// leave the same state and answer OK.
//
// A project is stored as its packed Project message beside the columns
// queries need. Validation of field values is the caller's (invest_calc);
// the store checks what needs the stored state: that a project exists,
// and that the shares held never exceed its total.
//
// Every row carries a checksum (row_check.h), written with the row and
// verified by every read: a row that fails it is never served. A call
// about that row, or whose answer depends on it (a project's holdings for
// its shares held, an investor's for the summary), is DATA_LOSS with the
// table and key in err; a listing (projects; holdings when asked with
// skip_bad) leaves it out, with a line at error level in the log, and the
// rest answers. invest_store_check verifies every row and the file.
//
// Thread safety: every function may be called from any thread; calls are
// serialised on one connection.

#ifndef INVEST_STORE_H
#define INVEST_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "enfed/v1/invest.pb-c.h"
#include "fed/scrub.h"
#include "fed/status.h"
#include "invest_calc.h"

#define INVEST_SERIES_MAX 200 // longest series id
#define INVEST_NODE_MAX   64 // longest node name
#define INVEST_GRANT_MAX  256 // longest grant token

typedef struct invest_store invest_store;

// One holding.
typedef struct invest_holding {
	char investor[INVEST_ID_MAX + 1];
	char project_id[INVEST_ID_MAX + 1];
	uint32_t shares;
	int64_t acquired_ms;
} invest_holding;

// An investor's linked consumption series, and the token of the grant
// that the household's node issued for it: a secret, sent only to that
// node, never returned nor logged ("" for a link made before schema
// version 2, when no grant was asked for: its figures are not given).
typedef struct invest_link {
	char series_id[INVEST_SERIES_MAX + 1];
	char node[INVEST_NODE_MAX + 1];
	char grant_token[INVEST_GRANT_MAX + 1];
} invest_link;

// Opens (creating if needed) DIR/invest.db, which must exist as a folder.
// UNAVAILABLE when it cannot be opened, FAILED_PRECONDITION for a schema
// newer than this program's, DATA_LOSS for a file that is not a database;
// err says which. *out is owned by the caller (invest_store_close).
fed_status invest_store_open(
    const char *dir, invest_store **out, char *err, size_t err_len);

// Checkpoints and closes. NULL does nothing.
void invest_store_close(invest_store *s);

// Stores a new project (already checked by invest_calc_check_project).
// OK when it is new or identical to the stored one; ALREADY_EXISTS when
// its id holds a different project.
fed_status invest_store_project_create(
    invest_store *s, const Enfed__V1__Project *p, char *err, size_t err_len);

// Replaces a project. NOT_FOUND when it does not exist; FAILED_PRECONDITION
// when its new total_shares is below the shares already held (numbers in
// err); DATA_LOSS when its row, or one of its holdings, fails its checksum.
fed_status invest_store_project_update(
    invest_store *s, const Enfed__V1__Project *p, char *err, size_t err_len);

// Deletes a project no holding names: FAILED_PRECONDITION while shares
// are held (archive it instead); OK when there is no such project.
fed_status invest_store_project_delete(
    invest_store *s, const char *id, char *err, size_t err_len);

// A project by id: *out is a new message owned by the caller
// (enfed__v1__project__free_unpacked). NOT_FOUND when unknown; DATA_LOSS
// ("project id=x: the stored row fails its checksum" in err) when its row
// fails its checksum or does not decode. (invest_store_project_create is
// DATA_LOSS too for such a row.)
fed_status invest_store_project_get(invest_store *s, const char *id,
    Enfed__V1__Project **out, char *err, size_t err_len);

// Every project (of `organisation` when not NULL or ""), by id: *out is an
// array owned by the caller (invest_store_project_list_free). A project
// whose row fails its checksum or does not decode is left out, and logged.
fed_status invest_store_project_list(invest_store *s, const char *organisation,
    Enfed__V1__Project ***out, size_t *n, char *err, size_t err_len);

// Frees what invest_store_project_list returned. NULL does nothing.
void invest_store_project_list_free(Enfed__V1__Project **list, size_t n);

// Creates or replaces the holding (h->investor, h->project_id), in one
// transaction with the check that the project exists (NOT_FOUND) and that
// h->shares fit (invest_calc_check_shares: INVALID_ARGUMENT for 0,
// FAILED_PRECONDITION beyond what remains, numbers in err). DATA_LOSS when
// the project's row or another holding of it fails its checksum.
fed_status invest_store_holding_put(
    invest_store *s, const invest_holding *h, char *err, size_t err_len);

// Removes a holding. NOT_FOUND when the project is unknown, DATA_LOSS when
// its row fails its checksum; OK when there was no such holding (already
// removed).
fed_status invest_store_holding_remove(invest_store *s, const char *investor,
    const char *project_id, char *err, size_t err_len);

// The holdings of `investor` or of `project_id` (largest first, then by
// project id), or every holding when both are NULL or "". A holding whose
// row fails its checksum is left out (logged) when skip_bad (a listing),
// else DATA_LOSS naming it (figures computed from the holdings). *out is a
// heap array owned by the caller (free), NULL when *n is 0.
fed_status invest_store_holdings(invest_store *s, const char *investor,
    const char *project_id, bool skip_bad, invest_holding **out, size_t *n,
    char *err, size_t err_len);

// Sum of the shares held of project_id by every investor but `except`
// (NULL: all). DATA_LOSS when one of these holdings fails its checksum.
fed_status invest_store_shares_held(invest_store *s, const char *project_id,
    const char *except, uint64_t *out, char *err, size_t err_len);

// Links the investor's consumption series with its grant token (series_id
// "" removes the link; the token is then ignored). Validation is the
// caller's.
fed_status invest_store_link_put(invest_store *s, const char *investor,
    const invest_link *link, char *err, size_t err_len);

// The investor's link, grant token included: *found false when none;
// DATA_LOSS when its row fails its checksum.
fed_status invest_store_link_get(invest_store *s, const char *investor,
    invest_link *out, bool *found, char *err, size_t err_len);

// True in *known when the investor has a holding or a link.
fed_status invest_store_investor_known(
    invest_store *s, const char *investor, bool *known);

// Checks the whole database (the periodic scrub, Integrity/Check; a
// fed_scrub_fn with arg the store): sqlite's quick_check, then every row's
// checksum, table after table in key order, 256 rows per statement with
// the lock released in between, so that calls go on during a check. Fills
// *out (zeroed by the caller) and logs each bad row; ends with CANCELLED
// at the next batch once *stop is set (stop may be NULL). OK whatever it
// found; UNAVAILABLE, INTERNAL or RESOURCE_EXHAUSTED when it cannot read.
fed_status invest_store_check(
    invest_store *s, const atomic_int *stop, fed_scrub_report *out);

#endif // INVEST_STORE_H
