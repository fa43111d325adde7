// SPDX-License-Identifier: MIT
//
// fed/process.h: what every long-running enfed program does before it
// starts a thread: logs one line per event on stderr, takes SIGTERM, SIGINT
// and SIGHUP only where it waits for them (sigwait or sigtimedwait, so
// that no handler ever runs inside nng or sqlite), and treats a peer that
// went away (SIGPIPE) as an error status rather than its death.
//
// SIGHUP (`systemctl reload`) means "reread what may change while
// serving": tokens, users, peers and certificates. Each part that holds
// such a table registers a reload callback here; the main thread runs
// them, in the order registered, when SIGHUP arrives (fed_process_serve).
// A callback builds its new table completely before swapping it in, and
// keeps the old one when the new one cannot be read: a reload never
// leaves a service with no tokens. Connections stay open.

#ifndef FED_PROCESS_H
#define FED_PROCESS_H

#include <signal.h>
#include <stdint.h>

#include "fed/log.h"
#include "fed/status.h"

#define FED_PROCESS_MAX_RELOADS 16 // callbacks registered at once

// Sets the log sink to stderr at `level`, blocks SIGTERM, SIGINT and
// SIGHUP in the calling thread (and so in every thread it starts
// afterwards), fills *signals with those three for the program's wait
// (fed_process_wait), ignores SIGPIPE, and raises the soft limit of open
// descriptors (RLIMIT_NOFILE) to the hard limit (logged when it cannot).
// Call first in main, before any thread exists (nng's included).
void fed_process_init(fed_log_level level, sigset_t *signals);

// What fed_process_wait saw.
typedef enum fed_process_event {
	FED_PROCESS_STOP, // SIGTERM or SIGINT
	FED_PROCESS_RELOAD, // SIGHUP
	FED_PROCESS_TIMEOUT, // nothing within timeout_ms
} fed_process_event;

// Waits for one of the signals of fed_process_init (borrowed) for at most
// timeout_ms (< 0: without end) and says which kind came. An
// interrupted wait goes on waiting (for what is left of the time). When
// sig is not NULL it gets the signal number (0 on a timeout). Blocks the
// calling thread, the main one.
fed_process_event fed_process_wait(
    const sigset_t *signals, int64_t timeout_ms, int *sig);

// A part's reload: rereads its files and swaps its table in. OK, or a
// status when the new state was refused (then the old one stays in force
// and the callback has logged why). Runs on the main thread, while RPC
// workers keep serving.
typedef fed_status (*fed_reload_fn)(void *arg);

// Registers fn(arg) under `what` (a static string for the logs: "node
// tokens", "web users"), after those already registered. A TLS reload
// (certificates, revocation lists) registers here like any other part.
// RESOURCE_EXHAUSTED past FED_PROCESS_MAX_RELOADS. Call from the main
// thread; arg stays valid until fed_process_reload_clear.
fed_status fed_process_on_reload(
    const char *what, fed_reload_fn fn, void *arg);

// Runs every registered callback in order (the one place where a reload
// happens), after a line that says how many there are, and logs one line
// per failure. Returns OK when all of them
// succeeded, else the first failure's status.
fed_status fed_process_reload(void);

// Forgets every registered callback: call before freeing what they reach.
void fed_process_reload_clear(void);

// Waits until SIGTERM or SIGINT, running fed_process_reload at each
// SIGHUP meanwhile, and returns the stop signal's number. For a main loop
// with nothing else to do.
int fed_process_serve(const sigset_t *signals);

#endif // FED_PROCESS_H
