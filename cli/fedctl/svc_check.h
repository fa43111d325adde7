// SPDX-License-Identifier: MIT
//
// svc_check.h: `fedctl directory check` and `fedctl invest check`, the
// enfed.v1.Integrity/Check of fed-directory or fed-invest: sqlite's
// quick_check of the service's database and every row's checksum, run now;
// shown as the file's verdict, the rows checked and the first bad rows by
// table and key. The node's own check of its blocks is cmd_node.c's.

#ifndef FEDCTL_SVC_CHECK_H
#define FEDCTL_SVC_CHECK_H

#include "fedctl.h"
#include "verb.h"

// The options of the check verbs (the output options only), and their
// spec for `fedctl NOUN check` on program "fed-NOUN".
extern const fed_cfg_spec fedctl_directory_check_spec;
extern const fed_cfg_spec fedctl_invest_check_spec;

// Runs the check on `which` (with its address and token: the service's
// administrator token) and prints the report. Exit code: 0 when every row
// and the file are sound, 1 when something failed its check (or the call
// failed otherwise), fedctl_exit_code of the call's status (4 for a token
// that is not the administrator's, 5 when unreachable). A fedctl_verb's
// run.
int fedctl_svc_check(fedctl *c, fedctl_svc which);

#endif // FEDCTL_SVC_CHECK_H
