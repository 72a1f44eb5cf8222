/* Engine sockets wherever they live: a listening unix socket served by a
 * container engine (dockerd, containerd, podman, buildkitd, CRI-O) is a
 * restricted host mount even when the engine was started with a socket path
 * the policy file does not list (`dockerd -H unix:///somewhere`). */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "policy/policy_int.h"

#define SO_ACCEPTCON_FLAG 0x10000 /* __SO_ACCEPTCON in /proc/net/unix "Flags" */

static const char *const engines[] = {"dockerd", "containerd",	"podman", "buildkitd",
				      "crio",	 "cri-dockerd", NULL};

bool ib_policy_is_engine_name(const char *comm)
{
	for (size_t i = 0; engines[i]; i++)
		if (strcmp(comm, engines[i]) == 0)
			return true;
	return false;
}

/* Is the socket inode held by an engine process? */
static bool inode_served_by_engine(unsigned long inode)
{
	_cleanup_free_ char *want = ib_xasprintf("socket:[%lu]", inode);
	DIR *proc = opendir("/proc");
	struct dirent *de;
	bool found = false;

	if (!proc)
		return false;
	while (!found && (de = readdir(proc))) {
		char path[300], comm[64] = "", link[64];
		DIR *fds;
		struct dirent *fe;
		FILE *f;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = '\0';
		fclose(f);
		comm[strcspn(comm, "\n")] = '\0';
		if (!ib_policy_is_engine_name(comm))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", de->d_name);
		fds = opendir(path);
		while (fds && !found && (fe = readdir(fds))) {
			char fdpath[600];
			ssize_t n;

			snprintf(fdpath, sizeof(fdpath), "%s/%s", path, fe->d_name);
			n = readlink(fdpath, link, sizeof(link) - 1);
			if (n <= 0)
				continue;
			link[n] = '\0';
			found = strcmp(link, want) == 0;
		}
		if (fds)
			closedir(fds);
	}
	closedir(proc);
	return found;
}

bool ib_policy_engine_socket_under(const char *resolved, char **found)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/net/unix", "re");
	size_t rl = strlen(resolved);
	char line[4096];

	if (!f)
		return false;
	if (!fgets(line, sizeof(line), f)) /* header */
		return false;
	while (fgets(line, sizeof(line), f)) {
		unsigned long flags = 0, inode = 0;
		char sockpath[4096] = "";
		int n =
		    sscanf(line, "%*s %*s %*s %lx %*s %*s %lu %4095s", &flags, &inode, sockpath);
		bool under;

		if (n < 3 || !(flags & SO_ACCEPTCON_FLAG) || sockpath[0] != '/')
			continue;
		under =
		    strcmp(resolved, "/") == 0 || (strncmp(sockpath, resolved, rl) == 0 &&
						   (sockpath[rl] == '\0' || sockpath[rl] == '/'));
		if (under && inode_served_by_engine(inode)) {
			if (found)
				*found = ib_xstrdup(sockpath);
			return true;
		}
	}
	return false;
}
