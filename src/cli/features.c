/* ironbox features: the OCI runtime features document. */
#include <json-c/json.h>
#include <stdio.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/util.h"
#include "spec/spec.h"

static struct json_object *str_array(const char *const *v, size_t n)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

#define STR_ARRAY(v) str_array(v, IB_ARRAY_SIZE(v))

static bool file_starts_with(const char *path, char c)
{
	char buf[2] = {0};
	FILE *f = fopen(path, "re");
	bool r;

	if (!f)
		return false;
	r = fread(buf, 1, 1, f) == 1 && buf[0] == c;
	fclose(f);
	return r;
}

int cmd_features(struct ib_global_opts *g, int argc, char **argv)
{
	static const char *const hooks[] = {"prestart",	      "createRuntime", "createContainer",
					    "startContainer", "poststart",     "poststop"};
	static const char *const mount_options[] = {"acl",
						    "async",
						    "atime",
						    "bind",
						    "defaults",
						    "dev",
						    "diratime",
						    "dirsync",
						    "exec",
						    "idmap",
						    "iversion",
						    "lazytime",
						    "loud",
						    "mand",
						    "noacl",
						    "noatime",
						    "nodev",
						    "nodiratime",
						    "noexec",
						    "noiversion",
						    "nolazytime",
						    "nomand",
						    "norelatime",
						    "nostrictatime",
						    "nosuid",
						    "nosymfollow",
						    "private",
						    "ratime",
						    "rbind",
						    "rdev",
						    "rdiratime",
						    "relatime",
						    "remount",
						    "rexec",
						    "ridmap",
						    "rnoatime",
						    "rnodev",
						    "rnodiratime",
						    "rnoexec",
						    "rnorelatime",
						    "rnostrictatime",
						    "rnosuid",
						    "rnosymfollow",
						    "ro",
						    "rprivate",
						    "rrelatime",
						    "rro",
						    "rrw",
						    "rshared",
						    "rslave",
						    "rstrictatime",
						    "rsuid",
						    "rsymfollow",
						    "runbindable",
						    "rw",
						    "shared",
						    "silent",
						    "slave",
						    "strictatime",
						    "suid",
						    "symfollow",
						    "sync",
						    "tmpcopyup",
						    "unbindable"};
	static const char *const namespaces[] = {"cgroup", "ipc",  "mount", "network",
						 "pid",	   "time", "user",  "uts"};
	static const char *const actions[] = {
	    "SCMP_ACT_ALLOW",	     "SCMP_ACT_ERRNO",	     "SCMP_ACT_KILL",
	    "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",
	    "SCMP_ACT_NOTIFY",	     "SCMP_ACT_TRACE",	     "SCMP_ACT_TRAP"};
	static const char *const operators[] = {"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
						"SCMP_CMP_LE", "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ",
						"SCMP_CMP_NE"};
	static const char *const archs[] = {
	    "SCMP_ARCH_AARCH64",  "SCMP_ARCH_ARM",	   "SCMP_ARCH_MIPS",
	    "SCMP_ARCH_MIPS64",	  "SCMP_ARCH_MIPS64N32",   "SCMP_ARCH_MIPSEL",
	    "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
	    "SCMP_ARCH_PPC64",	  "SCMP_ARCH_PPC64LE",	   "SCMP_ARCH_RISCV64",
	    "SCMP_ARCH_S390",	  "SCMP_ARCH_S390X",	   "SCMP_ARCH_X32",
	    "SCMP_ARCH_X86",	  "SCMP_ARCH_X86_64"};
	static const char *const seccomp_flags[] = {"SECCOMP_FILTER_FLAG_LOG",
						    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
						    "SECCOMP_FILTER_FLAG_TSYNC"};
	struct json_object *o, *lnx, *cg, *sc, *aa, *se, *caps, *ann;
	int c;

	(void)g;
	cli_getopt_reset();
	while ((c = cli_getopt(argc, argv, "h",
			       (const struct option[]){{"help", no_argument, NULL, 'h'},
						       {NULL, 0, NULL, 0}})) != -1) {
		if (c == 'h')
			return cli_usage(argv[0], "   ironbox features\n");
		return 1;
	}
	if (cli_check_args(argv[0], argc - optind, 0, CLI_ARGS_EXACT))
		return 1;

	o = json_object_new_object();
	json_object_object_add(o, "ociVersionMin", json_object_new_string("1.0.0"));
	json_object_object_add(o, "ociVersionMax", json_object_new_string("1.2.0"));
	json_object_object_add(o, "hooks", STR_ARRAY(hooks));
	json_object_object_add(o, "mountOptions", STR_ARRAY(mount_options));

	lnx = json_object_new_object();
	json_object_object_add(lnx, "namespaces", STR_ARRAY(namespaces));
	caps = json_object_new_array();
	for (int i = 0; i < 64; i++) {
		const char *name = ib_cap_name(i);
		if (name)
			json_object_array_add(caps, json_object_new_string(name));
	}
	json_object_object_add(lnx, "capabilities", caps);
	cg = json_object_new_object();
	json_object_object_add(cg, "v1", json_object_new_boolean(true));
	json_object_object_add(cg, "v2", json_object_new_boolean(true));
	json_object_object_add(cg, "systemd", json_object_new_boolean(true));
	json_object_object_add(cg, "systemdUser", json_object_new_boolean(false));
	json_object_object_add(lnx, "cgroup", cg);
	sc = json_object_new_object();
	json_object_object_add(sc, "enabled", json_object_new_boolean(true));
	json_object_object_add(sc, "actions", STR_ARRAY(actions));
	json_object_object_add(sc, "operators", STR_ARRAY(operators));
	json_object_object_add(sc, "archs", STR_ARRAY(archs));
	json_object_object_add(sc, "knownFlags", STR_ARRAY(seccomp_flags));
	json_object_object_add(sc, "supportedFlags", STR_ARRAY(seccomp_flags));
	json_object_object_add(lnx, "seccomp", sc);
	aa = json_object_new_object();
	json_object_object_add(aa, "enabled",
			       json_object_new_boolean(file_starts_with(
				   "/sys/module/apparmor/parameters/enabled", 'Y')));
	json_object_object_add(lnx, "apparmor", aa);
	se = json_object_new_object();
	json_object_object_add(
	    se, "enabled", json_object_new_boolean(access("/sys/fs/selinux/enforce", F_OK) == 0));
	json_object_object_add(lnx, "selinux", se);
	json_object_object_add(o, "linux", lnx);

	ann = json_object_new_object();
	json_object_object_add(ann, "io.github.ironbox.isolation",
			       json_object_new_string("enhanced"));
	json_object_object_add(ann, "io.github.ironbox.version",
			       json_object_new_string(IB_VERSION));
	json_object_object_add(o, "annotations", ann);

	printf("%s\n",
	       json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						     JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return 0;
}
