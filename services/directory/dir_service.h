// SPDX-License-Identifier: MIT
//
// dir_service.h: one running fed-directory: the store, the RPC server
// (Directory, Integrity and Health), the membership stream, the thread
// that expires leases and the periodic check of the database (fed_scrub:
// sqlite's quick_check and every row's checksum, logged, its counts in
// Health). main.c builds one from its configuration; tests build
// several, on temporary databases and ipc:// addresses.

#ifndef DIR_SERVICE_H
#define DIR_SERVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "fed/status.h"
#include "fed/transport.h"

typedef struct dir_service dir_service;

typedef struct dir_service_opts {
	const char *listen; // RPC address (borrowed)
	const char *stream; // PUB address of membership events (borrowed)
	const char *db_path; // the sqlite database (created if missing)
	bool sync_full; // synchronous=FULL (true) or NORMAL
	const char *enrol_hash; // hex SHA-256 of the enrolment token
	int64_t lease_ms; // lease granted to nodes, > 0
	int64_t check_ms; // period of the expiry check, > 0
	const fed_tls_opts *tls; // for tls+tcp:// addresses; may be NULL
	unsigned n_workers; // RPC workers; 0: the runtime's default
	const char *admin_hash; // hex SHA-256 of the administrator's token
	                        // (Integrity/Check); NULL or "": none
	int64_t scrub_ms; // period of the check of the database; 0: none
} dir_service_opts;

// Opens the database, listens on both addresses and starts serving and
// expiring leases (a first expiry check runs at once; the first check of
// the database one scrub_ms after the start). Returns OK;
// INVALID_ARGUMENT for a bad address, TLS settings, hash or period;
// UNAVAILABLE when an address is in use or the database cannot be opened;
// FAILED_PRECONDITION or DATA_LOSS for a database of a newer schema or not
// a database; RESOURCE_EXHAUSTED. Nothing is left running on failure.
// opts is read during the call only.
fed_status dir_service_new(const dir_service_opts *opts, dir_service **out);

// Stops the expiry thread and the server (running handlers finish), closes
// the stream and the database, and frees everything. NULL does nothing.
void dir_service_free(dir_service *d);

#endif // DIR_SERVICE_H
