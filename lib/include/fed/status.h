// SPDX-License-Identifier: MIT
//
// fed/status.h: the one status type of enfed.
//
// Every fallible function returns a fed_status; results travel through
// out-pointers. The codes are gRPC's, so that they map one to one onto the
// enfed.v1.StatusCode of the wire (proto/enfed/v1/rpc.proto). Names and
// messages come from one X-macro list and cannot drift apart.

#ifndef FED_STATUS_H
#define FED_STATUS_H

// X(NAME, code, "message")
#define FED_STATUS_LIST(X)                               \
	X(OK, 0, "ok")                                   \
	X(CANCELLED, 1, "cancelled")                     \
	X(UNKNOWN, 2, "unknown error")                   \
	X(INVALID_ARGUMENT, 3, "invalid argument")       \
	X(DEADLINE_EXCEEDED, 4, "deadline exceeded")     \
	X(NOT_FOUND, 5, "not found")                     \
	X(ALREADY_EXISTS, 6, "already exists")           \
	X(PERMISSION_DENIED, 7, "permission denied")     \
	X(RESOURCE_EXHAUSTED, 8, "resource exhausted")   \
	X(FAILED_PRECONDITION, 9, "failed precondition") \
	X(ABORTED, 10, "aborted")                        \
	X(OUT_OF_RANGE, 11, "out of range")              \
	X(UNIMPLEMENTED, 12, "unimplemented")            \
	X(INTERNAL, 13, "internal error")                \
	X(UNAVAILABLE, 14, "unavailable")                \
	X(DATA_LOSS, 15, "data loss")                    \
	X(UNAUTHENTICATED, 16, "unauthenticated")

typedef enum fed_status {
#define FED__STATUS_ENUM(name, code, msg) FED_##name = code,
	FED_STATUS_LIST(FED__STATUS_ENUM)
#undef FED__STATUS_ENUM
} fed_status;

#define FED_STATUS_MAX 16

// The code's name, e.g. "NOT_FOUND"; "UNKNOWN" for a value outside the list.
// Never NULL; the string is static.
const char *fed_status_name(fed_status st);

// A short English message for the code, e.g. "not found". Static, never NULL.
const char *fed_status_str(fed_status st);

// Maps any integer (e.g. a code read off the wire) to a fed_status: values
// outside 0..16 become FED_UNKNOWN.
fed_status fed_status_from_int(int code);

// Error forwarding: evaluate expr once and return its status if not OK.
#define FED_TRY(expr)                            \
	do {                                     \
		fed_status fed__try_st = (expr); \
		if (fed__try_st != FED_OK)       \
			return fed__try_st;      \
	} while (0)

// For code that is compiled into a test program with FED_TESTING: static
// helpers become visible so that the test can call them (as curl's UNITTEST).
#ifdef FED_TESTING
#define FED_TESTABLE
#else
#define FED_TESTABLE static
#endif

// printf-style format checking for the project's variadic functions.
#if defined(__GNUC__)
#define FED__PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define FED__PRINTF(a, b)
#endif

#endif // FED_STATUS_H
