// SPDX-License-Identifier: MIT
//
// fed/process.h: what every long-running enfed program does before it
// starts a thread: logs one line per event on stderr, takes SIGTERM and
// SIGINT only where it waits for them (sigwait or sigtimedwait, so that no
// handler ever runs inside nng or sqlite), and treats a peer that went
// away (SIGPIPE) as an error status rather than its death.

#ifndef FED_PROCESS_H
#define FED_PROCESS_H

#include <signal.h>

#include "fed/log.h"

// Sets the log sink to stderr at `level`, blocks SIGTERM and SIGINT in the
// calling thread (and so in every thread it starts afterwards), fills
// *stop with those two for the program's sigwait, ignores SIGPIPE, and
// raises the soft limit of open descriptors (RLIMIT_NOFILE) to the hard
// limit (logged when it cannot).
// Call first in main, before any thread exists (nng's included).
void fed_process_init(fed_log_level level, sigset_t *stop);

#endif // FED_PROCESS_H
