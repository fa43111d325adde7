// SPDX-License-Identifier: MIT
//
// cdp.c: see cdp.h. Messages are read whole (up to the NUL byte) and
// parsed with cJSON; events between a command and its answer are dropped.

#include "cdp.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CALL_MS 20000
#define MSG_MAX (64u << 20) // a full-page screenshot fits

static long long
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
nap_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

static void
child(int in, int out, const char *chromium, const char *profile)
{
	// Out of the way of 3 and 4 first, whatever the pipes' numbers were.
	int r = fcntl(in, F_DUPFD, 10), w = fcntl(out, F_DUPFD, 10);
	if (r < 0 || w < 0 || dup2(r, 3) < 0 || dup2(w, 4) < 0)
		_exit(126);
	int null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
	}
	for (int fd = 5; fd < 1024; fd++)
		close(fd);
	char dir[800];
	snprintf(dir, sizeof(dir), "--user-data-dir=%s", profile);
	execl(chromium, chromium, "--headless", "--no-sandbox",
	    "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
	    "--hide-scrollbars", "--remote-debugging-pipe", dir, "about:blank",
	    (char *) NULL);
	_exit(127);
}

static int
send_msg(cdp *c, cJSON *msg)
{
	char *text = cJSON_PrintUnformatted(msg);
	if (text == NULL)
		return -1;
	size_t n = strlen(text) + 1, off = 0; // the NUL ends the message
	while (off < n) {
		ssize_t k = write(c->to_fd, text + off, n - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			free(text);
			return -1;
		}
		off += (size_t) k;
	}
	free(text);
	return 0;
}

// The next whole message, parsed, or NULL after the deadline.
static cJSON *
recv_msg(cdp *c, long long deadline)
{
	for (;;) {
		char *nul = c->len ? memchr(c->buf, '\0', c->len) : NULL;
		if (nul != NULL) {
			cJSON *m = cJSON_Parse(c->buf);
			size_t used = (size_t) (nul - c->buf) + 1;
			memmove(c->buf, nul + 1, c->len - used);
			c->len -= used;
			if (m != NULL)
				return m;
			continue;
		}
		long long left = deadline - now_ms();
		if (left <= 0)
			return NULL;
		struct pollfd p = {c->from_fd, POLLIN, 0};
		int pr = poll(&p, 1, (int) left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			return NULL;
		if (c->cap - c->len < 65536) {
			size_t cap = c->cap ? c->cap * 2 : 1 << 20;
			if (cap > MSG_MAX)
				return NULL;
			char *nb = realloc(c->buf, cap);
			if (nb == NULL)
				return NULL;
			c->buf = nb;
			c->cap = cap;
		}
		ssize_t k = read(c->from_fd, c->buf + c->len, c->cap - c->len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return NULL;
		c->len += (size_t) k;
	}
}

// One command, to the browser (session NULL) or to the page.
static cJSON *
call(cdp *c, const char *session, const char *method, cJSON *params)
{
	int id = ++c->next_id;
	cJSON *msg = cJSON_CreateObject();
	cJSON_AddNumberToObject(msg, "id", id);
	cJSON_AddStringToObject(msg, "method", method);
	cJSON_AddItemToObject(
	    msg, "params", params ? params : cJSON_CreateObject());
	if (session != NULL)
		cJSON_AddStringToObject(msg, "sessionId", session);
	int rc = send_msg(c, msg);
	cJSON_Delete(msg);
	if (rc != 0) {
		fprintf(stderr, "cdp: cannot send %s\n", method);
		return NULL;
	}
	long long deadline = now_ms() + CALL_MS;
	for (;;) {
		cJSON *m = recv_msg(c, deadline);
		if (m == NULL) {
			fprintf(stderr, "cdp: no answer to %s\n", method);
			return NULL;
		}
		cJSON *mid = cJSON_GetObjectItem(m, "id");
		if (!cJSON_IsNumber(mid) || mid->valueint != id) {
			cJSON_Delete(m);
			continue;
		}
		cJSON *res = cJSON_DetachItemFromObject(m, "result");
		if (res == NULL) {
			char *t = cJSON_PrintUnformatted(m);
			fprintf(stderr, "cdp: %s: %s\n", method, t ? t : "?");
			free(t);
		}
		cJSON_Delete(m);
		return res;
	}
}

cJSON *
cdp_call(cdp *c, const char *method, cJSON *params)
{
	return call(c, c->session, method, params);
}

int
cdp_start(cdp *c, const char *chromium, const char *profile_dir)
{
	memset(c, 0, sizeof(*c));
	c->to_fd = c->from_fd = -1;
	signal(SIGPIPE, SIG_IGN); // a browser that died fails a write
	int in[2], out[2];
	if (pipe(in) != 0)
		return -1;
	if (pipe(out) != 0) {
		close(in[0]);
		close(in[1]);
		return -1;
	}
	c->pid = fork();
	if (c->pid == 0)
		child(in[0], out[1], chromium, profile_dir);
	close(in[0]);
	close(out[1]);
	c->to_fd = in[1];
	c->from_fd = out[0];
	if (c->pid < 0)
		return -1;
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "url", "about:blank");
	cJSON *t = call(c, NULL, "Target.createTarget", p);
	cJSON *tid = cJSON_GetObjectItem(t, "targetId");
	if (!cJSON_IsString(tid)) {
		cJSON_Delete(t);
		return -1;
	}
	p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "targetId", tid->valuestring);
	cJSON_AddBoolToObject(p, "flatten", 1);
	cJSON_Delete(t);
	cJSON *a = call(c, NULL, "Target.attachToTarget", p);
	cJSON *sid = cJSON_GetObjectItem(a, "sessionId");
	int ok = cJSON_IsString(sid)
	    && strlen(sid->valuestring) < sizeof(c->session);
	if (ok)
		snprintf(
		    c->session, sizeof(c->session), "%s", sid->valuestring);
	cJSON_Delete(a);
	return ok ? 0 : -1;
}

void
cdp_stop(cdp *c)
{
	if (c->pid > 0) {
		cJSON_Delete(call(c, NULL, "Browser.close", NULL));
		int st;
		long long deadline = now_ms() + 5000;
		while (waitpid(c->pid, &st, WNOHANG) == 0) {
			if (now_ms() > deadline) {
				kill(c->pid, SIGKILL);
				waitpid(c->pid, &st, 0);
				break;
			}
			nap_ms(50);
		}
	}
	if (c->to_fd >= 0)
		close(c->to_fd);
	if (c->from_fd >= 0)
		close(c->from_fd);
	free(c->buf);
	memset(c, 0, sizeof(*c));
	c->to_fd = c->from_fd = -1;
}

int
cdp_viewport(cdp *c, int width, int height)
{
	cJSON *p = cJSON_CreateObject();
	cJSON_AddNumberToObject(p, "width", width);
	cJSON_AddNumberToObject(p, "height", height);
	cJSON_AddNumberToObject(p, "deviceScaleFactor", 1);
	cJSON_AddBoolToObject(p, "mobile", 0);
	cJSON *r = cdp_call(c, "Emulation.setDeviceMetricsOverride", p);
	cJSON_Delete(r);
	return r ? 0 : -1;
}

char *
cdp_eval(cdp *c, const char *js)
{
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "expression", js);
	cJSON_AddBoolToObject(p, "returnByValue", 1);
	cJSON_AddBoolToObject(p, "awaitPromise", 1);
	cJSON *r = cdp_call(c, "Runtime.evaluate", p);
	if (r == NULL)
		return NULL;
	char *out = NULL;
	cJSON *exc = cJSON_GetObjectItem(r, "exceptionDetails");
	cJSON *v
	    = cJSON_GetObjectItem(cJSON_GetObjectItem(r, "result"), "value");
	if (exc != NULL) {
		char *t = cJSON_PrintUnformatted(exc);
		fprintf(stderr, "cdp: exception: %.2000s\n", t ? t : "?");
		free(t);
	} else {
		out = v ? cJSON_PrintUnformatted(v) : strdup("null");
	}
	cJSON_Delete(r);
	return out;
}

int
cdp_wait(cdp *c, const char *js, int ms)
{
	long long deadline = now_ms() + ms;
	do {
		char *v = cdp_eval(c, js);
		int yes = v != NULL && strcmp(v, "true") == 0;
		free(v);
		if (yes)
			return 0;
		nap_ms(100);
	} while (now_ms() < deadline);
	return -1;
}

int
cdp_goto(cdp *c, const char *url)
{
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "url", url);
	cJSON *r = cdp_call(c, "Page.navigate", p);
	if (r == NULL)
		return -1;
	cJSON_Delete(r);
	return cdp_wait(c, "document.readyState === 'complete'", 10000);
}

static int
b64_val(char ch)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                        "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = ch ? strchr(a, ch) : NULL;
	return p ? (int) (p - a) : -1;
}

int
cdp_screenshot(cdp *c, const char *path)
{
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "format", "png");
	cJSON_AddBoolToObject(p, "captureBeyondViewport", 1);
	cJSON *r = cdp_call(c, "Page.captureScreenshot", p);
	cJSON *d = cJSON_GetObjectItem(r, "data");
	FILE *f = cJSON_IsString(d) ? fopen(path, "wb") : NULL;
	int rc = f ? 0 : -1;
	if (f != NULL) {
		unsigned acc = 0;
		int bits = 0;
		for (const char *s = d->valuestring; *s && *s != '='; s++) {
			int v = b64_val(*s);
			if (v < 0)
				continue;
			acc = (acc << 6) | (unsigned) v;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				fputc((int) ((acc >> bits) & 0xff), f);
			}
		}
		rc = fclose(f) == 0 ? 0 : -1;
	}
	cJSON_Delete(r);
	return rc;
}
