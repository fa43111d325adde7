// SPDX-License-Identifier: MIT
//
// invest_test_grant.c: consent grants for fed-invest's end-to-end tests
// (invest_test_grant.h).

#include "invest_test_grant.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "enfed/v1/grant.pb-c.h"
#include "enfed/v1/invest.pb-c.h"
#include "fed_test.h"

char *
invest_test_grant(fed_rpc_client *admin, const char *series,
    Enfed__V1__Step finest, int64_t expires_ms, char *id)
{
	fed_test_grant_spec g
	    = {series, INVEST_TEST_GRANTEE, 0, finest, 0, 0, expires_ms};
	fed_status st = FED_OK;
	char *token = fed_test_grant(admin, &g, id, &st);
	if (token == NULL)
		fail_msg("Grants/Create %s: %s", series, fed_status_name(st));
	return token;
}

void
invest_test_revoke(fed_rpc_client *admin, const char *id)
{
	Enfed__V1__RevokeGrantRequest req
	    = ENFED__V1__REVOKE_GRANT_REQUEST__INIT;
	req.id = (char *) id;
	Enfed__V1__Grant *rep = NULL;
	char err[256] = "";
	fed_status st = fed_rpc_call(admin, &enfed__v1__grants__descriptor,
	    "Revoke", &req.base, (ProtobufCMessage **) &rep, err, sizeof(err));
	if (st != FED_OK)
		fail_msg("Grants/Revoke %s: %s", id, err);
	assert_true(rep->revoked);
	enfed__v1__grant__free_unpacked(rep, NULL);
}

fed_status
invest_test_link(fed_rpc_client *c, const char *investor, const char *series,
    const char *node, const char *grant_token, char *err)
{
	Enfed__V1__LinkConsumptionRequest req
	    = ENFED__V1__LINK_CONSUMPTION_REQUEST__INIT;
	req.investor = (char *) investor;
	req.series_id = (char *) series;
	req.series_node = (char *) node;
	req.grant_token = (char *) (grant_token != NULL ? grant_token : "");
	Enfed__V1__InvestEmpty *rep = NULL;
	err[0] = '\0';
	fed_status st = fed_rpc_call(c, &enfed__v1__invest__descriptor,
	    "LinkConsumption", &req.base, (ProtobufCMessage **) &rep, err,
	    512);
	enfed__v1__invest_empty__free_unpacked(rep, NULL);
	return st;
}
