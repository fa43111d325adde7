// SPDX-License-Identifier: MIT
//
// invest_test_grant.h: what fed-invest's end-to-end tests do on a
// household's node and on fed-invest around a consent grant: create a
// grant (its token, shown once), revoke it, and link an investor's
// consumption under it. Each helper fails the running cmocka test when the
// node or fed-invest does not answer as expected.

#ifndef INVEST_TEST_GRANT_H
#define INVEST_TEST_GRANT_H

#include <stdint.h>

#include "enfed/v1/series.pb-c.h"
#include "fed/rpc.h"
#include "fed/status.h"

// The organisation of the investment service, as grants name it.
#define INVEST_TEST_GRANTEE "bcen-invest"

// A query grant of series (an id or a prefix) to INVEST_TEST_GRANTEE at
// finest step `finest`, expiring at expires_ms (0: never), made with the
// node's admin client. Returns its token (heap, freed by the caller);
// its id goes to id (at least 40 bytes) when id is not NULL.
char *invest_test_grant(fed_rpc_client *admin, const char *series,
    Enfed__V1__Step finest, int64_t expires_ms, char *id);

// Revokes grant id with the node's admin client.
void invest_test_revoke(fed_rpc_client *admin, const char *id);

// LinkConsumption on fed-invest client c: investor ("" = the caller's
// own), series on node, under grant_token (NULL: none). Returns the status,
// the message in err (512 bytes).
fed_status invest_test_link(fed_rpc_client *c, const char *investor,
    const char *series, const char *node, const char *grant_token, char *err);

#endif // INVEST_TEST_GRANT_H
