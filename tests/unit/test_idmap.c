/* Unit tests: the exclusive ID-range allocator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "idmap/idmap.h"

static const struct ib_idpool pool = {.base = 100000, .size = 65536, .count = 1024};

static bool always_alive(const char *holder, void *data)
{
	(void)holder;
	(void)data;
	return true;
}

/* Holders whose id starts with "dead" have lost their state dir. */
static bool alive_unless_dead(const char *holder, void *data)
{
	(void)data;
	return strncmp(holder, "dead", 4) != 0;
}

static int setup(void **state)
{
	char tmpl[] = "/tmp/ib-idmap-XXXXXX";
	char *dir = mkdtemp(tmpl);

	assert_non_null(dir);
	*state = ib_xstrdup(dir);
	ib_idmap_set_subid_paths("/dev/null", "/dev/null");
	ib_idmap_set_account_paths("/dev/null", "/dev/null");
	return 0;
}

static int teardown(void **state)
{
	char *cmd = ib_xasprintf("rm -rf '%s'", (char *)*state);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(*state);
	ib_idmap_set_subid_paths(NULL, NULL);
	return 0;
}

static uint32_t must_alloc(const char *root, const struct ib_idpool *p, const char *holder,
			   ib_idmap_alive_fn alive)
{
	ib_err err = {0};
	uint32_t base = 0;

	if (ib_idmap_alloc(root, p, holder, alive, NULL, &base, &err) < 0)
		fail_msg("alloc %s: %s", holder, err.msg);
	return base;
}

static void test_sequential(void **state)
{
	const char *root = *state;
	ib_err err = {0};
	uint32_t base = 0;
	struct stat st;

	assert_int_equal(must_alloc(root, &pool, "first", always_alive), 100000);
	assert_int_equal(must_alloc(root, &pool, "second", always_alive), 165536);
	assert_int_equal(must_alloc(root, &pool, "third", always_alive), 231072);
	assert_int_equal(ib_idmap_lookup(root, "second", &base, &err), 0);
	assert_int_equal(base, 165536);
	assert_int_equal(ib_idmap_lookup(root, "nobody", &base, &err), -1);
	assert_int_equal(err.code, ENOENT);

	/* The table is persistent and private. */
	char *path = ib_xasprintf("%s/idmap.tab", root);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	free(path);
}

static void test_root_created(void **state)
{
	char *root = ib_xasprintf("%s/a/b", (char *)*state);
	struct stat st;

	assert_int_equal(must_alloc(root, &pool, "x", always_alive), 100000);
	assert_int_equal(stat(root, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	free(root);
}

static void test_lowest_free_and_release(void **state)
{
	const char *root = *state;
	ib_err err = {0};
	uint32_t base;

	must_alloc(root, &pool, "a", always_alive);
	must_alloc(root, &pool, "b", always_alive);
	must_alloc(root, &pool, "c", always_alive);
	assert_int_equal(ib_idmap_release(root, "b", &err), 0);
	assert_int_equal(ib_idmap_lookup(root, "b", &base, &err), -1);
	assert_int_equal(must_alloc(root, &pool, "d", always_alive), 165536);
	assert_int_equal(must_alloc(root, &pool, "e", always_alive), 100000 + 3 * 65536);
	/* Releasing something never held is fine. */
	assert_int_equal(ib_idmap_release(root, "never", &err), 0);
	/* Allocating again for a holder drops its old range first. */
	assert_int_equal(ib_idmap_release(root, "a", &err), 0);
	assert_int_equal(must_alloc(root, &pool, "c", always_alive), 100000);
	assert_int_equal(must_alloc(root, &pool, "f", always_alive), 231072);
}

static ino_t ino_of(const char *root, const char *name)
{
	char *path = ib_xasprintf("%s/%s", root, name);
	struct stat st;
	int r = stat(path, &st);

	free(path);
	return r == 0 ? st.st_ino : 0;
}

/* The table is rewritten through one kept temporary file: after the first
 * two writes no inode is created or freed, whatever the writes' sizes, and
 * the table always reads back whole (shorter writes are cut to length). */
static void test_writes_reuse_two_inodes(void **state)
{
	const char *root = *state;
	ib_err err = {0};
	uint32_t base;
	ino_t a, b;

	must_alloc(root, &pool, "first", always_alive);
	must_alloc(root, &pool, "second-with-a-much-longer-holder-name", always_alive);
	a = ino_of(root, "idmap.tab");
	b = ino_of(root, "idmap.tab.tmp");
	assert_true(a && b && a != b);
	for (int i = 0; i < 6; i++) {
		ino_t x, y;

		if (i % 2 == 0)
			assert_int_equal(
			    ib_idmap_release(root, "second-with-a-much-longer-holder-name", &err),
			    0);
		else
			must_alloc(root, &pool, "second-with-a-much-longer-holder-name",
				   always_alive);
		x = ino_of(root, "idmap.tab");
		y = ino_of(root, "idmap.tab.tmp");
		assert_true((x == a && y == b) || (x == b && y == a));
		assert_int_equal(ib_idmap_lookup(root, "first", &base, &err), 0);
		assert_int_equal(base, 100000);
		assert_int_equal(
		    ib_idmap_lookup(root, "second-with-a-much-longer-holder-name", &base, &err),
		    i % 2 == 0 ? -1 : 0);
	}
}

static void test_concurrent(void **state)
{
	const char *root = *state;
	enum { N = 50 };
	pid_t pids[N];
	uint32_t bases[N];
	ib_err err = {0};

	for (int i = 0; i < N; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			char holder[32];
			uint32_t base;
			ib_err e = {0};
			snprintf(holder, sizeof(holder), "c%d", i);
			_exit(ib_idmap_alloc(root, &pool, holder, always_alive, NULL, &base, &e) ==
				      0
				  ? 0
				  : 1);
		}
	}
	for (int i = 0; i < N; i++) {
		int status;
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	for (int i = 0; i < N; i++) {
		char holder[32];
		snprintf(holder, sizeof(holder), "c%d", i);
		assert_int_equal(ib_idmap_lookup(root, holder, &bases[i], &err), 0);
		assert_true(bases[i] >= 100000 && bases[i] < 100000 + N * 65536u);
		assert_int_equal((bases[i] - 100000) % 65536, 0);
		for (int j = 0; j < i; j++)
			assert_int_not_equal(bases[i], bases[j]);
	}
}

static void test_exhaustion(void **state)
{
	const char *root = *state;
	const struct ib_idpool small = {.base = 100000, .size = 65536, .count = 3};
	ib_err err = {0};
	uint32_t base = 0;

	must_alloc(root, &small, "a", always_alive);
	must_alloc(root, &small, "b", always_alive);
	must_alloc(root, &small, "c", always_alive);
	assert_int_equal(ib_idmap_alloc(root, &small, "d", always_alive, NULL, &base, &err), -1);
	assert_int_equal(err.code, ENOSPC);
	assert_string_equal(err.msg, "no free user-ID range: all 3 ranges of 65536 IDs are in use");
	/* Nothing left behind. */
	assert_int_equal(ib_idmap_lookup(root, "d", &base, &err), -1);
	/* Freed again on release. */
	assert_int_equal(ib_idmap_release(root, "b", &err), 0);
	assert_int_equal(must_alloc(root, &small, "d", always_alive), 165536);
}

static void test_stale_recovery(void **state)
{
	const char *root = *state;
	/* Far from the ranges of real containers on this host: a range in use
	 * by a live process is never reclaimed. */
	const struct ib_idpool small = {.base = 3000000000u, .size = 65536, .count = 2};
	ib_err err = {0};
	uint32_t base = 0;
	pid_t pid;
	int status;

	/* A runtime that allocated and died before the state dir existed. */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		uint32_t b;
		ib_err e = {0};
		_exit(ib_idmap_alloc(root, &small, "dead-1", always_alive, NULL, &b, &e) == 0 ? 0
											      : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);

	/* A create in progress in this (live) process: not reclaimable even
	 * though its state dir does not exist yet. */
	assert_int_equal(must_alloc(root, &small, "dead-inprogress", always_alive),
			 3000000000u + 65536);

	/* Pool full, but dead-1 is stale: reclaimed. */
	assert_int_equal(must_alloc(root, &small, "live", alive_unless_dead), 3000000000u);
	assert_int_equal(ib_idmap_lookup(root, "dead-1", &base, &err), -1);
	assert_int_equal(ib_idmap_lookup(root, "dead-inprogress", &base, &err), 0);
	assert_int_equal(base, 3000000000u + 65536);
	/* Without an alive callback nothing is reclaimed. */
	assert_int_equal(ib_idmap_alloc(root, &small, "x", NULL, NULL, &base, &err), -1);
	assert_int_equal(err.code, ENOSPC);
}

static int alive_calls;

static bool counting_alive_unless_dead(const char *holder, void *data)
{
	alive_calls++;
	return alive_unless_dead(holder, data);
}

/* Holders are looked at only when the pool is full (every create takes the
 * table's lock: a look at each of 200 holders serialised them); a dead
 * holder's range stays taken until then. */
static void test_stale_recovery_only_when_full(void **state)
{
	const char *root = *state;
	const struct ib_idpool small = {.base = 3100000000u, .size = 65536, .count = 3};
	pid_t pid;
	int status;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		uint32_t b;
		ib_err e = {0};
		_exit(ib_idmap_alloc(root, &small, "dead-1", always_alive, NULL, &b, &e) == 0 ? 0
											      : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	alive_calls = 0;
	/* Room left: nobody is looked at, the dead range is not reused. */
	assert_int_equal(must_alloc(root, &small, "a", counting_alive_unless_dead),
			 3100000000u + 65536);
	assert_int_equal(must_alloc(root, &small, "b", counting_alive_unless_dead),
			 3100000000u + 2 * 65536);
	assert_int_equal(alive_calls, 0);
	/* Full: now the dead holder is found and its range reclaimed. */
	assert_int_equal(must_alloc(root, &small, "c", counting_alive_unless_dead), 3100000000u);
	assert_true(alive_calls > 0);
}

static void test_share(void **state)
{
	const char *root = *state;
	ib_err err = {0};
	uint32_t base = 0;

	assert_int_equal(must_alloc(root, &pool, "a", always_alive), 100000);
	assert_int_equal(ib_idmap_share(root, &pool, "b", 100000, &err), 0);
	assert_int_equal(ib_idmap_lookup(root, "b", &base, &err), 0);
	assert_int_equal(base, 100000);
	/* Sharing a range nobody holds is an error. */
	assert_int_equal(ib_idmap_share(root, &pool, "c", 165536, &err), -1);
	assert_int_equal(err.code, ENOENT);
	/* The range stays held while any holder remains. */
	assert_int_equal(ib_idmap_release(root, "a", &err), 0);
	assert_int_equal(must_alloc(root, &pool, "c", always_alive), 165536);
	assert_int_equal(ib_idmap_release(root, "b", &err), 0);
	assert_int_equal(must_alloc(root, &pool, "d", always_alive), 100000);
}

static void test_find_overlap(void **state)
{
	const char *root = *state;
	ib_err err = {0};
	char *holder = NULL;

	must_alloc(root, &pool, "a", always_alive);
	assert_int_equal(ib_idmap_find_overlap(root, 0, 100000, NULL, &holder, &err), 0);
	assert_int_equal(ib_idmap_find_overlap(root, 165535, 10, NULL, &holder, &err), 1);
	assert_string_equal(holder, "a");
	free(holder);
	assert_int_equal(ib_idmap_find_overlap(root, 165535, 10, "a", NULL, &err), 0);
	assert_int_equal(ib_idmap_find_overlap(root, 165536, 65536, NULL, NULL, &err), 0);
}

static void write_file(const char *root, const char *name, const char *text)
{
	char *path = ib_xasprintf("%s/%s", root, name);
	ib_err err = {0};
	assert_int_equal(ib_write_file_atomic(path, text, strlen(text), 0600, &err), 0);
	free(path);
}

static void write_table(const char *root, const char *text)
{
	write_file(root, "idmap.tab", text);
}

/* Every operation on a table it can't trust fails, and says so. */
static void assert_refused(const char *root, const char *what)
{
	ib_err err = {0};
	uint32_t base = 0;

	if (ib_idmap_alloc(root, &pool, "z", always_alive, NULL, &base, &err) != -1)
		fail_msg("table accepted: %s", what);
	assert_non_null(strstr(err.msg, "is corrupted"));
	assert_non_null(strstr(err.msg, "refusing to hand out"));
	assert_int_equal(ib_idmap_share(root, &pool, "z", 100000, &err), -1);
	assert_int_equal(ib_idmap_lookup(root, "a", &base, &err), -1);
	assert_int_equal(ib_idmap_release(root, "a", &err), -1);
}

#define HDR "ironbox-idmap 2\n"

static void test_corrupted(void **state)
{
	const char *root = *state;
	const char *bad[] = {
	    "",
	    "ironbox-idmap 1\n",
	    "ironbox-idmap 2",
	    "{\"version\":1,\"ranges\":[]}",
	    HDR "100000 65536 1 0 a",			    /* unterminated */
	    HDR "100000 65536 1 0 \n",			    /* no holder */
	    HDR "100000 65536 1 0\n",			    /* no holder */
	    HDR "100000  65536 1 0 a\n",		    /* two blanks */
	    HDR "+100000 65536 1 0 a\n",		    /* sign */
	    HDR "100000 65536 -1 0 a\n",		    /* negative pid */
	    HDR "100000 0x10000 1 0 a\n",		    /* not decimal */
	    HDR "100000 65536 1 0 a\tb\n",		    /* control character */
	    HDR "100000 65536 1 0 a\r\n",		    /* control character */
	    HDR "0 65536 1 0 a\n",			    /* base 0 */
	    HDR "100000 0 1 0 a\n",			    /* empty range */
	    HDR "4294967295 2 1 0 a\n",			    /* beyond 32 bits */
	    HDR "100000 4294967296 1 0 a\n",		    /* size beyond 32 bits */
	    HDR "100000 65536 1 18446744073709551616 a\n",  /* start overflows */
	    HDR "100000 65536 9223372036854775808 0 a\n",   /* pid overflows */
	    HDR "100000 65536 1 0 a\n100001 65536 1 0 b\n", /* overlap */
	    HDR "100000 65536 1 0 a\n100000 65535 1 0 b\n", /* sizes disagree */
	    HDR "100000 65536 1 0 a\n100000 65536 1 0 a\n", /* holder twice */
	    /* The same range again, not next to its first line. */
	    HDR "100000 65536 1 0 a\n165536 65536 1 0 b\n100000 65536 1 0 c\n",
	    /* Overlap, the later range first and the inner one listed first. */
	    HDR "300000 10 1 0 a\n165536 65536 1 0 c\n231072 100000 1 0 b\n",
	    /* The same holder in two ranges. */
	    HDR "100000 65536 1 0 a\n165536 65536 1 0 c\n165536 65536 1 0 a\n",
	    HDR "100000 65536 1 0 a\n x\n",
	};

	for (size_t i = 0; i < IB_ARRAY_SIZE(bad); i++) {
		write_table(root, bad[i]);
		assert_refused(root, bad[i]);
	}
	{
		/* A NUL byte in the file. */
		static const char nul[] = HDR "100000 65536 1 0 a\0b\n";
		char *path = ib_xasprintf("%s/idmap.tab", root);
		ib_err err = {0};
		assert_int_equal(ib_write_file_atomic(path, nul, sizeof(nul) - 1, 0600, &err), 0);
		free(path);
		assert_refused(root, "NUL");
	}
	/* A well-formed table is accepted. */
	write_table(root, HDR "100000 65536 1 0 a\n");
	assert_int_equal(must_alloc(root, &pool, "b", always_alive), 165536);
	/* So are adjacent ranges in any order, holders sharing a prefix and
	 * blanks, lines of blanks (padding), and a holder with spaces. */
	write_table(root, HDR "231072 65536 1 0 /s/c1\n    \n100000 65536 1 0 /s/c10\n"
			      "100000 65536 1 0 /s/c\n\n165536 65536 1 0 /s p/c2\n");
	assert_int_equal(must_alloc(root, &pool, "b", always_alive), 296608);
	{
		uint32_t base = 0;
		ib_err err = {0};
		assert_int_equal(ib_idmap_lookup(root, "/s p/c2", &base, &err), 0);
		assert_int_equal(base, 165536);
		assert_int_equal(ib_idmap_lookup(root, "/s/c", &base, &err), 0);
		assert_int_equal(base, 100000);
	}
}

/* A holder the table could not represent (the state root is the caller's
 * choice) is refused before the table is touched. */
static void test_holder_names(void **state)
{
	const char *root = *state;
	const char *bad[] = {"", "a\nb", "a\tb", "a\x7f"};
	ib_err err = {0};
	uint32_t base = 0;

	for (size_t i = 0; i < IB_ARRAY_SIZE(bad); i++) {
		assert_int_equal(
		    ib_idmap_alloc(root, &pool, bad[i], always_alive, NULL, &base, &err), -1);
		assert_int_equal(err.code, EINVAL);
		must_alloc(root, &pool, "x", always_alive);
		assert_int_equal(ib_idmap_share(root, &pool, bad[i], 100000, &err), -1);
		assert_int_equal(err.code, EINVAL);
	}
	/* Nothing was written for them: the table holds x alone. */
	assert_int_equal(must_alloc(root, &pool, "y", always_alive), 165536);
	assert_int_equal(ib_idmap_release(root, "x", &err), 0);
	assert_int_equal(must_alloc(root, &pool, "z", always_alive), 100000);
}

/* The JSON table of an older ironbox is carried over once, with its
 * ranges still taken, and replaced by one that JSON readers refuse. */
static void test_carry_over(void **state)
{
	const char *root = *state;
	char *legacy = ib_xasprintf("%s/idmap.json", root), *text = NULL;
	ib_err err = {0};
	uint32_t base = 0;

	write_file(root, "idmap.json",
		   "{\"version\":1,\"ranges\":[{\"base\":100000,\"size\":65536,"
		   "\"holders\":[{\"id\":\"/s/old\",\"pid\":1,\"start\":0},"
		   "{\"id\":\"/s/old2\",\"pid\":1,\"start\":7}]},"
		   "{\"base\":231072,\"size\":65536,\"holders\":[{\"id\":\"/s/b\",\"pid\":1,"
		   "\"start\":0}]}]}\n");
	/* The old table can't be replaced: the carry-over is undone (one
	 * table, the one older binaries read), and the allocation fails. */
	{
		char *tmp = ib_xasprintf("%s/idmap.json.tmp", root);
		char *tab = ib_xasprintf("%s/idmap.tab", root);
		struct stat st;

		assert_int_equal(mkdir(tmp, 0700), 0);
		assert_int_equal(
		    ib_idmap_alloc(root, &pool, "new", always_alive, NULL, &base, &err), -1);
		assert_non_null(strstr(err.msg, "carry"));
		assert_int_equal(stat(tab, &st), -1);
		assert_int_equal(rmdir(tmp), 0);
		free(tmp);
		free(tab);
	}
	assert_int_equal(must_alloc(root, &pool, "new", always_alive), 165536);
	assert_int_equal(ib_idmap_lookup(root, "/s/old2", &base, &err), 0);
	assert_int_equal(base, 100000);
	assert_int_equal(must_alloc(root, &pool, "new2", always_alive), 296608);
	assert_int_equal(ib_read_file_at(AT_FDCWD, legacy, &text, NULL, &err), 0);
	assert_non_null(strstr(text, "\"version\": 2"));
	free(text);
	/* The moved table's file gone: refused, not started afresh. */
	{
		char *tab = ib_xasprintf("%s/idmap.tab", root);
		assert_int_equal(unlink(tab), 0);
		free(tab);
	}
	assert_refused(root, "moved table missing");
	/* A legacy table that is not valid is refused, as it always was. */
	write_file(root, "idmap.json", "{not json");
	assert_refused(root, "bad legacy");
	write_file(root, "idmap.json",
		   "{\"version\":1,\"ranges\":[{\"base\":100000,\"size\":65536,\"holders\":"
		   "[{\"id\":\"a\\nb\",\"pid\":1,\"start\":0}]}]}");
	assert_refused(root, "legacy holder with a newline");
	write_file(
	    root, "idmap.json",
	    "{\"version\":1,\"ranges\":[{\"base\":100000,\"size\":65536,\"holders\":"
	    "[{\"id\":\"a\",\"pid\":1,\"start\":0},{\"id\":\"a\",\"pid\":1,\"start\":0}]}]}");
	assert_refused(root, "legacy holder twice");
	free(legacy);
}

static void test_parse_subid(void **state)
{
	struct ib_idrange *r = NULL;
	size_t n = 0;

	(void)state;
	ib_idmap_parse_subid("alice:100000:65536\n"
			     "# comment\n"
			     "bob:165536:65536\r\n"
			     "garbage\n"
			     "carol:x:1\n"
			     "dave:1:-5\n"
			     ":5:5\n"
			     "1000:300000:10",
			     &r, &n);
	assert_int_equal(n, 3);
	assert_int_equal(r[0].start, 100000);
	assert_int_equal(r[0].count, 65536);
	assert_int_equal(r[1].start, 165536);
	assert_int_equal(r[2].start, 300000);
	assert_int_equal(r[2].count, 10);
	free(r);
}

static void test_subid_skipped(void **state)
{
	const char *root = *state;
	char *uid = ib_xasprintf("%s/subuid", root), *gid = ib_xasprintf("%s/subgid", root);
	ib_err err = {0};

	/* A real user's range over pool range 0, a group range over range 2. */
	assert_int_equal(ib_write_file_atomic(uid, "alice:100000:65536\n", 19, 0644, &err), 0);
	assert_int_equal(ib_write_file_atomic(gid, "grp:240000:10\n", 14, 0644, &err), 0);
	ib_idmap_set_subid_paths(uid, gid);
	assert_int_equal(must_alloc(root, &pool, "a", always_alive), 165536);
	assert_int_equal(must_alloc(root, &pool, "b", always_alive), 100000 + 3 * 65536);
	ib_idmap_set_subid_paths("/dev/null", "/dev/null");
	free(uid);
	free(gid);
}

static void test_accounts_skipped(void **state)
{
	const char *root = *state;
	char *pw = ib_xasprintf("%s/passwd", root);
	struct ib_idrange *r = NULL;
	size_t n = 0;
	ib_err err = {0};
	const char *text = "root:x:0:0:root:/root:/bin/sh\n# comment\nbad line\n"
			   "svc:x:100005:100005::/:/bin/false\nnoid:x::1\ngrp:x:200000:a,b";

	ib_idmap_parse_accounts(text, &r, &n);
	assert_int_equal(n, 3);
	assert_int_equal(r[0].start, 0);
	assert_int_equal(r[1].start, 100005);
	assert_int_equal(r[2].start, 200000);
	assert_int_equal(r[2].count, 1);
	free(r);
	/* A host user inside pool range 0: that range is never handed out. */
	assert_int_equal(ib_write_file_atomic(pw, text, strlen(text), 0644, &err), 0);
	ib_idmap_set_account_paths(pw, "/dev/null");
	assert_int_equal(must_alloc(root, &pool, "a", always_alive), 231072);
	ib_idmap_set_account_paths("/dev/null", "/dev/null");
	free(pw);
}

/* A child in a new user namespace whose uid_map is "0 base count" (root
 * writes any mapping). Returns its pid; kill it with SIGKILL. */
static pid_t child_with_map(uint32_t base, uint32_t count)
{
	int p[2], q[2];
	char c = 0;
	pid_t pid;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(pipe2(q, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char r = unshare(CLONE_NEWUSER) == 0 ? 'y' : 'n';
		if (write(p[1], &r, 1) != 1 || read(q[0], &r, 1) < 0)
			_exit(1);
		for (;;)
			pause();
	}
	assert_int_equal(read(p[0], &c, 1), 1);
	if (c != 'y') {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		skip();
	}
	{
		char *path = ib_xasprintf("/proc/%d/uid_map", (int)pid);
		char *map = ib_xasprintf("0 %u %u\n", base, count);
		int fd = open(path, O_WRONLY | O_CLOEXEC);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, map, strlen(map)), (ssize_t)strlen(map));
		close(fd);
		free(path);
		free(map);
	}
	assert_int_equal(write(q[1], &c, 1), 1);
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
	return pid;
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
}

static void test_range_in_use(void **state)
{
	const uint32_t b = 3100000000u;
	int64_t who = 0;
	pid_t pid;

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(ib_idmap_range_in_use(b, 65536, NULL), 0);
	pid = child_with_map(b, 65536);
	assert_int_equal(ib_idmap_range_in_use(b, 65536, &who), 1);
	assert_int_equal(who, pid);
	/* A neighbour range is not in use; the host's identity map (it spans
	 * everything) does not count. */
	assert_int_equal(ib_idmap_range_in_use(b + 65536, 65536, NULL), 0);
	assert_int_equal(ib_idmap_range_in_use(b - 65536, 65536, NULL), 0);
	reap(pid);
	assert_int_equal(ib_idmap_range_in_use(b, 65536, NULL), 0);
	/* A nested user namespace using part of the range counts too. */
	pid = child_with_map(b + 1000, 10);
	assert_int_equal(ib_idmap_range_in_use(b, 65536, NULL), 1);
	reap(pid);
}

/* The runtime died between "created" and its final state save: the holder
 * looks dead, but the container's init lives on in the range. */
static void test_orphan_keeps_range(void **state)
{
	const char *root = *state;
	const struct ib_idpool small = {.base = 3200000000u, .size = 65536, .count = 2};
	ib_err err = {0};
	uint32_t base = 0;
	pid_t pid, orphan;
	int status;

	if (geteuid() != 0)
		skip();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		uint32_t b;
		ib_err e = {0};
		_exit(ib_idmap_alloc(root, &small, "dead-orphaned", always_alive, NULL, &b, &e) == 0
			  ? 0
			  : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	orphan = child_with_map(small.base, 65536);

	/* Not handed out again while the orphan lives; the pool runs out. */
	assert_int_equal(must_alloc(root, &small, "next", alive_unless_dead), small.base + 65536);
	assert_int_equal(
	    ib_idmap_alloc(root, &small, "third", alive_unless_dead, NULL, &base, &err), -1);
	assert_int_equal(err.code, ENOSPC);
	assert_int_equal(ib_idmap_lookup(root, "dead-orphaned", &base, &err), 0);
	assert_int_equal(base, small.base);

	/* Once it is gone, the range is reclaimed. */
	reap(orphan);
	assert_int_equal(must_alloc(root, &small, "third", alive_unless_dead), small.base);
	assert_int_equal(ib_idmap_lookup(root, "dead-orphaned", &base, &err), -1);
}

/* Release on a full file system: rewritten in place (a tiny tmpfs in a
 * private mount namespace, in a child). */
static void test_release_full_fs(void **state)
{
	const char *dir = *state;
	pid_t pid;
	int status;

	if (geteuid() != 0)
		skip();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char *root = ib_xasprintf("%s/tiny", dir), *fill = ib_xasprintf("%s/fill", root);
		char buf[4096];
		uint32_t b;
		ib_err e = {0};
		int fd, i;

		memset(buf, 'x', sizeof(buf));
		if (unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mkdir(root, 0700) < 0 || mount("ibtest", root, "tmpfs", 0, "size=64k") < 0)
			_exit(2);
		for (i = 0; i < 4; i++) {
			char h[16];
			snprintf(h, sizeof(h), "c%d", i);
			if (ib_idmap_alloc(root, &pool, h, always_alive, NULL, &b, &e) < 0)
				_exit(3);
		}
		/* Fill it up. Without the kept temporary file: a new table that
		 * fits in its blocks could still be written. */
		{
			char *tmp = ib_xasprintf("%s/idmap.tab.tmp", root);
			if (unlink(tmp) < 0)
				_exit(8);
			free(tmp);
		}
		fd = open(fill, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		while (write(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
		/* Nothing new can be written, not even a new table... */
		if (ib_idmap_alloc(root, &pool, "c9", always_alive, NULL, &b, &e) == 0 ||
		    e.code != ENOSPC)
			_exit(4);
		/* ...but releases work, and the table still parses. */
		if (ib_idmap_release(root, "c1", &e) < 0 || ib_idmap_release(root, "c3", &e) < 0)
			_exit(5);
		if (ib_idmap_lookup(root, "c1", &b, &e) == 0 ||
		    ib_idmap_lookup(root, "c2", &b, &e) < 0 || b != 100000 + 2 * 65536)
			_exit(6);
		/* With room again, the freed range is handed out. */
		unlink(fill);
		if (ib_idmap_alloc(root, &pool, "c9", always_alive, NULL, &b, &e) < 0 ||
		    b != 165536)
			_exit(7);
		umount2(root, MNT_DETACH);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_sequential, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_root_created, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lowest_free_and_release, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_writes_reuse_two_inodes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exhaustion, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stale_recovery, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stale_recovery_only_when_full, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_share, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_find_overlap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_corrupted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_holder_names, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_carry_over, setup, teardown),
	    cmocka_unit_test(test_parse_subid),
	    cmocka_unit_test_setup_teardown(test_subid_skipped, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_accounts_skipped, setup, teardown),
	    cmocka_unit_test(test_range_in_use),
	    cmocka_unit_test_setup_teardown(test_orphan_keeps_range, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_release_full_fs, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
