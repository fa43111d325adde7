// SPDX-License-Identifier: MIT
//
// fed_test_tls.c: certificates, serials, Echo calls and captured log lines
// for the TLS tests (fed_test_tls.h).

#include "fed_test_tls.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/x509_crt.h>

#include "enfed/test/echo.pb-c.h"
#include "fed_test.h"

int
fed_test_pki(const char *arg, ...)
{
	const char *src = getenv("FED_SOURCE_DIR");
	if (src == NULL)
		return -1;
	char tool[512];
	snprintf(tool, sizeof(tool), "%s/cli/fed-pki/fed-pki", src);
	char *argv[8] = {tool};
	int n = 1;
	va_list ap;
	va_start(ap, arg);
	for (const char *a = arg; a != NULL; a = va_arg(ap, const char *)) {
		if (n == 7) {
			va_end(ap);
			return -1;
		}
		argv[n++] = (char *) a;
	}
	va_end(ap);
	argv[n] = NULL;
	return fed_test_spawn(argv, 0);
}

int
fed_test_cert_serial(const char *path, char *logged, size_t logged_len,
    char *openssl, size_t openssl_len)
{
	logged[0] = '\0';
	if (openssl != NULL)
		openssl[0] = '\0';
	mbedtls_x509_crt crt;
	mbedtls_x509_crt_init(&crt);
	if (mbedtls_x509_crt_parse_file(&crt, path) != 0
	    || crt.serial.len == 0) {
		mbedtls_x509_crt_free(&crt);
		return -1;
	}
	const unsigned char *s = crt.serial.p;
	size_t len = crt.serial.len, o = 0;
	if (openssl != NULL) {
		o = (size_t) snprintf(openssl, openssl_len, "serial=");
		for (size_t i = 0; i < len && o + 3 < openssl_len; i++)
			o += (size_t) snprintf(
			    openssl + o, openssl_len - o, "%02X", s[i]);
	}
	size_t i = 0;
	while (i + 1 < len && s[i] == 0)
		i++;
	o = (size_t) snprintf(logged, logged_len, "0x%x", s[i]);
	for (i++; i < len && o + 3 < logged_len; i++)
		o += (size_t) snprintf(
		    logged + o, logged_len - o, "%02x", s[i]);
	mbedtls_x509_crt_free(&crt);
	return 0;
}

fed_status
fed_test_echo_call(
    const char *url, const fed_tls_opts *tls, uint32_t timeout_ms)
{
	fed_rpc_client_opts o;
	fed_rpc_client_opts_default(&o);
	o.url = url;
	o.tls = tls;
	o.timeout_ms = timeout_ms;
	fed_rpc_client *c = NULL;
	fed_status st = fed_rpc_client_new(&o, &c);
	if (st != FED_OK)
		return st;
	static const char payload[] = "over tls";
	Enfed__Test__EchoRequest req = ENFED__TEST__ECHO_REQUEST__INIT;
	req.payload.data = (uint8_t *) payload;
	req.payload.len = sizeof(payload) - 1;
	ProtobufCMessage *rep = NULL;
	char err[256];
	st = fed_rpc_call(c, &enfed__test__echo__descriptor, "Echo", &req.base,
	    &rep, err, sizeof(err));
	if (st == FED_OK) {
		const Enfed__Test__EchoReply *er
		    = (const Enfed__Test__EchoReply *) rep;
		if (er->payload.len != req.payload.len
		    || memcmp(er->payload.data, payload, er->payload.len) != 0)
			st = FED_INTERNAL;
	}
	if (rep != NULL)
		protobuf_c_message_free_unpacked(rep, NULL);
	fed_rpc_client_free(c);
	return st;
}

fed_rpc_server *
fed_test_echo_server(const char *url, const fed_tls_opts *tls)
{
	fed_rpc_server *srv = NULL;
	if (fed_rpc_server_new(NULL, &srv) != FED_OK)
		return NULL;
	if (fed_test_echo_register(srv) != FED_OK
	    || fed_rpc_server_listen(srv, url, tls) != FED_OK
	    || fed_rpc_server_start(srv) != FED_OK) {
		fed_rpc_server_free(srv);
		return NULL;
	}
	return srv;
}

// ---- Captured log lines

static struct {
	pthread_mutex_t mtx;
	fed_log_level max;
	char lines[32768]; // the oldest kept; later ones dropped when full
} cap = {.mtx = PTHREAD_MUTEX_INITIALIZER};

static void
capture(
    fed_log_level level, const char *component, const char *line, void *arg)
{
	(void) arg;
	pthread_mutex_lock(&cap.mtx);
	if (level <= cap.max) {
		size_t n = strlen(cap.lines);
		snprintf(cap.lines + n, sizeof(cap.lines) - n, "%s: %s\n",
		    component, line);
	}
	pthread_mutex_unlock(&cap.mtx);
}

void
fed_test_log_capture(fed_log_level max)
{
	pthread_mutex_lock(&cap.mtx);
	cap.max = max;
	pthread_mutex_unlock(&cap.mtx);
	fed_log_set_sink(capture, NULL);
}

void
fed_test_log_reset(void)
{
	pthread_mutex_lock(&cap.mtx);
	cap.lines[0] = '\0';
	pthread_mutex_unlock(&cap.mtx);
}

int
fed_test_log_count(const char *a, const char *b, const char *c)
{
	int n = 0;
	pthread_mutex_lock(&cap.mtx);
	for (const char *l = cap.lines; *l != '\0';) {
		size_t len = strcspn(l, "\n");
		char line[2048];
		snprintf(line, sizeof(line), "%.*s", (int) len, l);
		n += strstr(line, a) != NULL
		    && (b == NULL || strstr(line, b) != NULL)
		    && (c == NULL || strstr(line, c) != NULL);
		l += len + (l[len] == '\n');
	}
	pthread_mutex_unlock(&cap.mtx);
	return n;
}

int
fed_test_log_has(const char *a, const char *b, const char *c)
{
	return fed_test_log_count(a, b, c) > 0;
}

int
fed_test_log_wait(const char *a, const char *b, const char *c, int timeout_ms)
{
	for (int waited = 0;; waited += 20) {
		if (fed_test_log_has(a, b, c))
			return 1;
		if (waited >= timeout_ms)
			return 0;
		fed_test_sleep_ms(20);
	}
}
