/* Shared helpers for ironbox's libFuzzer targets (fuzz/fuzz_*.c).
 *
 * Every target treats its input as one hostile document, calls the library
 * parser exactly like the runtime does, and turns every broken contract into
 * an abort() (which libFuzzer reports as a crash and saves as an input):
 *   - a failure must come with an errno-style code and a non-empty,
 *     NUL-terminated message (the CLI prints nothing useful otherwise);
 *   - a success must give a structure whose every string can be read and
 *     whose counts match its arrays (ASan checks each byte read);
 *   - everything is freed (LeakSanitizer runs with detect_leaks=1);
 *   - the parser never exits (libFuzzer reports "fuzz target exited").
 * Diagnostics go to stderr only on a failed check, just before abort(). */
#ifndef IRONBOX_FUZZ_COMMON_H
#define IRONBOX_FUZZ_COMMON_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

/* Inputs larger than this are not interesting (and slow): the real parsers
 * see config.json files of a few KB. */
#define FZ_MAX_INPUT (256 * 1024)

static void __attribute__((noreturn, format(printf, 1, 2))) fz_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("fuzz check failed: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

#define FZ_CHECK(cond, ...)                                                                        \
	do {                                                                                       \
		if (!(cond))                                                                       \
			fz_fail(__VA_ARGS__);                                                      \
	} while (0)

/* Known open bugs (fuzz/known-open.txt, passed by fuzz/run.sh in
 * IB_FUZZ_KNOWN_OPEN as space-separated ids): a check tagged with such an id
 * does not abort, the target just skips the rest of that input, so fuzzing
 * goes on finding other bugs while the fix is pending. The runner still
 * replays the bug's regression input without the list and expects it to
 * fail until it is fixed. */
static inline int fz_known_open(const char *id)
{
	const char *l = getenv("IB_FUZZ_KNOWN_OPEN"), *p;
	size_t n = strlen(id);

	for (p = l ? strstr(l, id) : NULL; p; p = strstr(p + 1, id))
		if ((p == l || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
			return 1;
	return 0;
}

/* A check for a bug that may be listed as known open: evaluates to 1 when the
 * check passed, 0 when it failed but the bug is known open (the caller then
 * stops processing this input), aborts otherwise. */
#define FZ_CHECK_OPEN(id, cond, ...)                                                               \
	((cond) ? 1 : fz_known_open(id) ? 0 : (fz_fail("[" id "] " __VA_ARGS__), 0))

/* The input as a C string, or NULL when it holds a NUL byte: the parsers take
 * C strings, so such an input only repeats a shorter one (the target returns
 * -1 so that libFuzzer does not keep it in the corpus). */
static inline char *fz_cstring(const uint8_t *data, size_t size)
{
	char *s;

	if (size > FZ_MAX_INPUT || memchr(data, 0, size))
		return NULL;
	s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* A failed parse: code set, message non-empty and terminated. */
static inline void fz_check_error(const char *what, const ib_err *err)
{
	FZ_CHECK(memchr(err->msg, '\0', sizeof(err->msg)) != NULL,
		 "%s failed with an unterminated error message", what);
	FZ_CHECK(err->code != 0, "%s failed without an error code (message: \"%s\")", what,
		 err->msg);
	FZ_CHECK(err->msg[0] != '\0', "%s failed with an empty error message (code %d)", what,
		 err->code);
}

/* Read every byte of a string the parser handed out (ASan flags a bad
 * pointer, a missing terminator or freed memory). NULL is allowed. */
static inline size_t fz_touch(const char *s)
{
	return s ? strlen(s) : 0;
}

/* A NULL-terminated vector: read every element. */
static inline size_t fz_touch_strv(char **v)
{
	size_t n = 0;

	for (size_t i = 0; v && v[i]; i++)
		n += fz_touch(v[i]) + 1;
	return n;
}

/* Both NULL or both equal. */
static inline int fz_streq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

#endif
