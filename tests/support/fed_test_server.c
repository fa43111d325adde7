// SPDX-License-Identifier: MIT
//
// fed_test_server: a real enfed RPC server serving Health and the Echo
// diagnostic service on the addresses given, for tests that talk to it
// from outside (the interoperability test with protoc and nngcat).
// Prints "ready" on stdout once listening; stops on SIGTERM or SIGINT.

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fed/health.h"
#include "fed/log.h"
#include "fed_test.h"

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void) sig;
	stop = 1;
}

int
main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0) {
		fprintf(stderr, "usage: fed_test_server URL...\n");
		return 2;
	}
	fed_log_set_sink(fed_log_stderr_sink, NULL);
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	fed_rpc_server *srv = NULL;
	if (fed_rpc_server_new(NULL, &srv) != FED_OK
	    || fed_test_echo_register(srv) != FED_OK
	    || fed_health_register(srv, "fed_test_server", "test") != FED_OK)
		return 1;
	for (int i = 1; i < argc; i++) {
		if (fed_rpc_server_listen(srv, argv[i], NULL) != FED_OK) {
			fprintf(stderr, "cannot listen on %s\n", argv[i]);
			fed_rpc_server_free(srv);
			return 1;
		}
	}
	if (fed_rpc_server_start(srv) != FED_OK)
		return 1;
	printf("ready\n");
	fflush(stdout);
	while (!stop)
		pause();
	fed_rpc_server_free(srv);
	return 0;
}
