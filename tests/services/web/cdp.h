// SPDX-License-Identifier: MIT
//
// cdp.h: a small client of the Chrome DevTools protocol over a pipe
// (chromium --remote-debugging-pipe: commands on fd 3, answers on fd 4,
// each a JSON text ended by a NUL byte), for fed-web's browser tests.
// It drives one page of a headless Chromium: window size, navigation,
// script evaluation in the page (to measure the layout, or to run
// axe-core) and screenshots. No driver, no network: the pipe is the
// browser's own. Every wait is bounded.

#ifndef CDP_H
#define CDP_H

#include <stddef.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

typedef struct cdp {
	pid_t pid;
	int to_fd, from_fd;
	int next_id;
	char session[128]; // the attached page's session id
	char *buf; // bytes read not yet split into messages
	size_t len, cap;
} cdp;

// Starts `chromium` headless with its profile in profile_dir and attaches
// to a new blank page. 0, or -1 with a message on stderr.
int cdp_start(cdp *c, const char *chromium, const char *profile_dir);

// Closes the browser (kills it when it does not quit in 5 s).
void cdp_stop(cdp *c);

// Calls method on the page with params (consumed; NULL: none) and returns
// the answer's "result" (owned by the caller), or NULL on an error answer
// or after 20 s, the error on stderr.
cJSON *cdp_call(cdp *c, const char *method, cJSON *params);

// Sets the page's viewport to width x height CSS pixels.
int cdp_viewport(cdp *c, int width, int height);

// Loads url and waits (10 s at most) until the document is complete.
int cdp_goto(cdp *c, const char *url);

// Evaluates js in the page (awaiting a promise) and returns its value as
// JSON text (malloc'd), or NULL on an exception.
char *cdp_eval(cdp *c, const char *js);

// Polls js until it is true, every 100 ms, ms milliseconds at most; 0 when
// it became true.
int cdp_wait(cdp *c, const char *js, int ms);

// Saves a PNG of the whole page to path.
int cdp_screenshot(cdp *c, const char *path);

#endif // CDP_H
