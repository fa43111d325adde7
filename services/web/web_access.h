// SPDX-License-Identifier: MIT
//
// web_access.h: every call that fed-web makes to a node for a session,
// with that user's own node credentials (web_auth.h). fed-web holds no
// node token of its own: what a user reads (series lists, curves, boxes,
// live power) and which grants a household manages is decided by the
// node, from the token of the person logged in, never by which links a
// page shows. A user without a credential for a node sees nothing of it.
//
// A series is looked for on the configured nodes in order and, on each,
// with each of the user's credentials for it; the first that shows it is
// the one every later call about it uses (web_where). Whether a series
// does not exist or belongs to someone else, the answer is the same
// NOT_FOUND, so that an id changed in a URL tells nothing.
//
// Ownership: replies handed back through *reply or *info belong to the
// caller (protobuf_c_message_free_unpacked). A web_where borrows the
// session it was made from. Thread-safe; calls block up to the backend's
// timeout.

#ifndef WEB_ACCESS_H
#define WEB_ACCESS_H

#include <stddef.h>

#include "enfed/v1/series.pb-c.h"
#include "fed/status.h"
#include "web_auth.h"
#include "web_backend.h"

// Where a series or a grant is read for a session: a node, and the
// session's credential that reads it there.
typedef struct web_where {
	size_t node; // index in the backend
	const web_cred *cred; // borrowed from the session
} web_where;

// Finds series id for session s: the first node and credential under
// which GetSeries answers, in *w, and the SeriesInfo in *info. NOT_FOUND
// when none of the user's credentials shows it (it does not exist, or the
// node refuses it to this user); UNAVAILABLE when a node the user holds a
// credential for cannot be reached and no other shows it. err gets a
// message for the log (never another user's data).
fed_status web_access_find(web_backend *be, const web_session *s,
    const char *id, web_where *w, Enfed__V1__SeriesInfo **info, char *err,
    size_t err_len);

// As web_access_find, on the node named `node` only (NOT_FOUND when it is
// not one of the backend's): for a series whose node is known, such as a
// project's, whose metadata there says where it was replicated from.
fed_status web_access_find_at(web_backend *be, const web_session *s,
    const char *node, const char *id, web_where *w,
    Enfed__V1__SeriesInfo **info);

// Calls SeriesStore/method on w's node with w's credential.
fed_status web_access_store(web_backend *be, const web_where *w,
    const char *method, const ProtobufCMessage *req, ProtobufCMessage **reply,
    char *err, size_t err_len);

// Called for each series a session may see: node index and its info
// (borrowed for the call).
typedef void (*web_access_series_fn)(
    void *arg, size_t node, const Enfed__V1__SeriesInfo *info);

// Lists the series session s may see on every node (ListSeries with each
// of its credentials; a series shown by two credentials of one node comes
// once), calling fn for each, at most max in all, following the pages of
// each list until it holds max series (100 pages at most). A node that
// fails is skipped (logged): *n_failed (may be NULL) counts the
// credentials whose node could not be reached.
void web_access_list(web_backend *be, const web_session *s,
    web_access_series_fn fn, void *arg, size_t max, size_t *n_failed);

// Fills out (max entries) with the session's owner credentials (the
// household's own nodes), in order, each on a node of the backend; returns
// how many there are.
size_t web_access_owners(
    const web_backend *be, const web_session *s, web_where *out, size_t max);

// Calls Grants/method on w's node with w's credential (an owner token:
// the node answers only for the grants on its series).
fed_status web_access_grants(web_backend *be, const web_where *w,
    const char *method, const ProtobufCMessage *req, ProtobufCMessage **reply,
    char *err, size_t err_len);

#endif // WEB_ACCESS_H
