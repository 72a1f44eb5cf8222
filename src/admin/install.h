/* `ironbox install` / `ironbox uninstall` (DESIGN.md behaviour 9): install
 * the binaries, the default admin policy and the man page, register
 * ironbox with every engine found (merging with the config already there),
 * enforce it when the policy says "enforce": true, and keep a record so
 * that uninstall undoes exactly that.
 *
 * Everything is first computed as a plan (what each file is and should be),
 * which `--dry-run` shows as diffs and install/uninstall then apply. Config
 * files: the record keeps their original bytes and what ironbox wrote;
 * uninstall restores the original byte for byte when the file is still what
 * ironbox wrote, and otherwise removes only ironbox's own settings
 * (recorded JSON edits; marked TOML lines). Files ironbox owns (binaries,
 * man page, units) are removed (or the file they replaced is put back) only
 * while they are unchanged. Both commands are idempotent. */
#ifndef IRONBOX_ADMIN_INSTALL_H
#define IRONBOX_ADMIN_INSTALL_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/err.h"

#define IB_INSTALL_RECORD "var/lib/ironbox/install.json"
#define IB_RUNTIME_NAME "ironbox"
#define IB_AUTHZ_NAME "ironbox-authz"

struct ib_install_opts {
	const char *root;      /* "" for "/": every path, on disk and in configs, is under it */
	const char *prefix;    /* "/usr/local" */
	const char *self_exe;  /* the ironbox binary to install */
	const char *admin_exe; /* ironbox-admin to install (NULL: none) */
	/* Config files (full paths; NULL: ROOT/etc/docker/daemon.json, ...). */
	const char *docker_config, *containerd_config, *podman_config;
	/* -1: if found (config dir under ROOT, or the engine in PATH when ROOT is
	 * "/"), 0: no, 1: yes. */
	int docker, containerd, podman;
	const char *policy_path; /* NULL: ROOT/etc/ironbox/policy.json */
	const char *docker_host; /* NULL: unix://ROOT/run/docker.sock */
	int systemd;		 /* -1: if ROOT/run/systemd/system exists */
};

enum ib_item_kind { IB_ITEM_FILE, IB_ITEM_SYMLINK, IB_ITEM_JSON, IB_ITEM_TOML };

struct ib_item {
	enum ib_item_kind kind;
	char *path;
	char *label;
	bool create_only; /* never replace an existing file (the policy) */
	/* now */
	bool exists;
	char *cur;
	size_t cur_len;
	/* wanted */
	bool want_exists;
	char *want;
	size_t want_len;
	mode_t mode;
	/* record after applying (install) */
	bool keep_record;
	bool orig_exists;
	char *orig;
	size_t orig_len;
	char *backup;		   /* owned file that was there before */
	struct json_object *edits; /* JSON edits */
	struct json_object *prev;  /* this file's entry in the previous record */
	char *summary;
};

struct ib_plan {
	struct ib_item *items;
	size_t n;
	char *root, *prefix;
	char *record_path;
	char *policy_path;
	bool enforce;
	bool docker, containerd, podman, systemd;
	char *docker_config, *plugin_socket, *docker_host, *plugin_cmd, *plugin_pidfile;
	char *buildkit_dir;
	char **notes; /* what the admin should do next */
};

void ib_plan_free(struct ib_plan *p);

/* Compute what install would do (nothing written). */
int ib_install_plan(const struct ib_install_opts *o, struct ib_plan *out, ib_err *err);
/* Compute what uninstall would do from the record under root. */
int ib_uninstall_plan(const char *root, struct ib_plan *out, ib_err *err);
/* Write the plan (install: also the record; uninstall: removes it). */
int ib_plan_apply(struct ib_plan *p, bool uninstall, ib_err *err);

/* Does item change anything? */
bool ib_item_changes(const struct ib_item *it);

/* The embedded man page (docs/ironbox.8). */
extern const char ib_manpage[];

#endif
