// SPDX-License-Identifier: MIT
//
// fuzz_serve.c: fuzz_serve.h.

#include "fuzz_serve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "enfed/v1/rpc.pb-c.h"

void
fuzz_serve(fed_rpc_server *srv,
    const ProtobufCServiceDescriptor *const *services, size_t n_services,
    const char *const *tokens, size_t n_tokens, const uint8_t *data,
    size_t len)
{
	if (len < 2 || n_services == 0 || n_tokens == 0)
		return;
	size_t n_methods = 0;
	for (size_t s = 0; s < n_services; s++)
		n_methods += services[s]->n_methods;
	size_t pick = data[0] % n_methods, s = 0;
	while (pick >= services[s]->n_methods)
		pick -= services[s++]->n_methods;
	char method[160];
	snprintf(method, sizeof(method), "/%s/%s", services[s]->name,
	    services[s]->methods[pick].name);
	Enfed__V1__Request req = ENFED__V1__REQUEST__INIT;
	req.id = 7;
	req.method = method;
	req.token.data = (uint8_t *) tokens[(data[1] & 3) % n_tokens];
	req.token.len = strlen((const char *) req.token.data);
	req.codec = (Enfed__V1__Codec) ((data[1] >> 2) % 3);
	req.timeout_ms = 5000;
	req.body.data = (uint8_t *) data + 2;
	req.body.len = len - 2;
	size_t n = enfed__v1__request__get_packed_size(&req);
	uint8_t *buf = malloc(n + 1);
	if (buf == NULL)
		return;
	enfed__v1__request__pack(&req, buf);
	uint8_t *out = NULL;
	size_t out_len = 0;
	if (fed_rpc_server_serve_bytes(srv, buf, n, &out, &out_len)
	    == FED_OK) {
		Enfed__V1__Reply *rep
		    = enfed__v1__reply__unpack(NULL, out_len, out);
		if (rep == NULL || rep->id != 7 || rep->status > 16)
			abort(); // the runtime always answers, well formed
		enfed__v1__reply__free_unpacked(rep, NULL);
	}
	free(out);
	free(buf);
}

static char tmp_dirs[4][64];

static void
remove_dirs(void)
{
	for (size_t i = 0; i < 4; i++) {
		if (tmp_dirs[i][0] == '\0')
			continue;
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp_dirs[i]);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tmp_dirs[i]);
	}
}

void
fuzz_tmpdir(char *dir, const char *tag)
{
	snprintf(dir, 64, "/tmp/fuzz-%.20s-XXXXXX", tag);
	if (mkdtemp(dir) == NULL)
		abort();
	for (size_t i = 0; i < 4; i++)
		if (tmp_dirs[i][0] == '\0') {
			if (i == 0)
				atexit(remove_dirs);
			snprintf(tmp_dirs[i], sizeof(tmp_dirs[i]), "%s", dir);
			return;
		}
}

void
fuzz_remove_db(const char *dir, const char *name)
{
	static const char *const suffix[] = {"", "-wal", "-shm"};
	char path[256];
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s%s", dir, name, suffix[i]);
		unlink(path);
	}
}
