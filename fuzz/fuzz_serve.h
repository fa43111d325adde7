// SPDX-License-Identifier: MIT
//
// fuzz_serve.h: what the fuzz targets of a service's handlers share. The
// input picks a method of the given services (byte 0), a token of the
// given list and a codec (byte 1); the rest is the request body. It is
// wrapped in an envelope and served in-process through the RPC runtime's
// dispatch (fed_rpc_server_serve_bytes), exactly as a worker serves a
// request; the reply must decode as an enfed.v1.Reply with the request's
// id and a known status code, or the process aborts (a finding).

#ifndef FUZZ_SERVE_H
#define FUZZ_SERVE_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "fed/rpc.h"

// Serves data[0..len) on srv as described above. tokens has n_tokens
// entries (at most 4 are reachable); services has n_services.
void fuzz_serve(fed_rpc_server *srv,
    const ProtobufCServiceDescriptor *const *services, size_t n_services,
    const char *const *tokens, size_t n_tokens, const uint8_t *data,
    size_t len);

// A new temporary folder under /tmp (its path in dir, at least 64 bytes),
// removed with everything in it when the process exits. Aborts on failure.
void fuzz_tmpdir(char *dir, const char *tag);

// Removes the sqlite database dir/name and its -wal and -shm files, so
// that a target can start again from an empty database: what inputs
// create stays bounded over millions of runs.
void fuzz_remove_db(const char *dir, const char *name);

// Inputs between two such fresh starts in the targets that keep state.
#define FUZZ_RESET_EVERY 1000

#endif // FUZZ_SERVE_H
