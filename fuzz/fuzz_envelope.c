// SPDX-License-Identifier: MIT
//
// fuzz_envelope.c: libFuzzer target for what a server decodes from the
// network: the RPC envelope, then its body as the request message of every
// method of every enfed service (as dispatch would), compressed or not.

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "enfed/v1/directory.pb-c.h"
#include "enfed/v1/grant.pb-c.h"
#include "enfed/v1/health.pb-c.h"
#include "enfed/v1/invest.pb-c.h"
#include "enfed/v1/rpc.pb-c.h"
#include "enfed/v1/series.pb-c.h"
#include "enfed/v1/stream.pb-c.h"
#include "fed/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static const ProtobufCServiceDescriptor *const services[] = {
    &enfed__v1__series_store__descriptor,
    &enfed__v1__grants__descriptor,
    &enfed__v1__directory__descriptor,
    &enfed__v1__invest__descriptor,
    &enfed__v1__health__descriptor,
};

// Decodes body as every method's request, and packs what decodes again.
static void
bodies(const fed_codec_opts *o, int codec, const uint8_t *b, size_t n)
{
	for (size_t s = 0; s < sizeof(services) / sizeof(services[0]); s++) {
		for (unsigned m = 0; m < services[s]->n_methods; m++) {
			ProtobufCMessage *msg = NULL;
			if (fed_codec_unpack(o, services[s]->methods[m].input,
			        (fed_codec) codec, b, n, &msg)
			    != FED_OK)
				continue;
			uint8_t *out = NULL;
			size_t out_len = 0;
			fed_codec c;
			if (fed_codec_pack(o, msg, &out, &out_len, &c)
			    == FED_OK)
				free(out);
			protobuf_c_message_free_unpacked(msg, NULL);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	fed_codec_opts o = FED_CODEC_OPTS_DEFAULT;
	o.max_len = 1u << 20;
	Enfed__V1__Request *req = enfed__v1__request__unpack(NULL, len, data);
	if (req != NULL) {
		bodies(&o, req->codec, req->body.data, req->body.len);
		enfed__v1__request__free_unpacked(req, NULL);
	}
	Enfed__V1__StreamFrame *f
	    = enfed__v1__stream_frame__unpack(NULL, len, data);
	if (f != NULL)
		enfed__v1__stream_frame__free_unpacked(f, NULL);
	return 0;
}
