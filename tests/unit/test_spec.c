/* Unit tests for src/spec: config.json parsing, validation and serialization. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "spec/spec.h"

/* Tests write JSON with single quotes; swap them for double quotes. */
static char *J(const char *s)
{
	char *r = ib_xstrdup(s);
	for (char *p = r; *p; p++)
		if (*p == '\'')
			*p = '"';
	return r;
}

/* A minimal valid document plus extra top-level members. */
static char *doc(const char *extra)
{
	_cleanup_free_ char *raw =
	    ib_xasprintf("{'ociVersion':'1.0.2','root':{'path':'rootfs'}%s%s}",
			 extra && *extra ? "," : "", extra ? extra : "");
	return J(raw);
}

static struct ib_spec *parse_ok(const char *extra)
{
	_cleanup_free_ char *text = doc(extra);
	ib_err err = {0};
	struct ib_spec *s = ib_spec_parse(text, "/bundle", &err);

	if (!s)
		fail_msg("unexpected parse error: %s", err.msg);
	return s;
}

static void parse_fails(const char *extra, const char *want)
{
	_cleanup_free_ char *text = doc(extra);
	ib_err err = {0};
	struct ib_spec *s = ib_spec_parse(text, "/bundle", &err);

	if (s) {
		ib_spec_free(s);
		fail_msg("expected failure containing '%s' for: %s", want, text);
	}
	if (!strstr(err.msg, want))
		fail_msg("error '%s' does not contain '%s'", err.msg, want);
	assert_int_equal(err.code, EINVAL);
}

/* Captured warnings. */
static char warnings[4096];

static void warn_sink(enum ib_log_level level, const char *msg, void *data)
{
	(void)data;
	if (level == IB_LOG_WARNING) {
		strncat(warnings, msg, sizeof(warnings) - strlen(warnings) - 2);
		strcat(warnings, "\n");
	}
}

static const char docker_config[] =
    "{'ociVersion':'1.0.2-dev',"
    "'process':{'terminal':false,'consoleSize':{'height':24,'width':80},"
    " 'user':{'uid':1000,'gid':1000,'umask':18,'additionalGids':[10,20]},"
    " 'args':['/bin/sh','-c','echo hi'],"
    " 'env':['PATH=/usr/bin:/bin','HOSTNAME=abc'],'cwd':'/work',"
    " 'capabilities':{"
    "  'bounding':['CAP_CHOWN','CAP_DAC_OVERRIDE','CAP_NET_RAW','CAP_SYS_CHROOT'],"
    "  'effective':['CAP_CHOWN','CAP_NET_RAW'],"
    "  'inheritable':[],"
    "  'permitted':['CAP_CHOWN','CAP_NET_RAW'],"
    "  'ambient':['CAP_CHECKPOINT_RESTORE']},"
    " 'rlimits':[{'type':'RLIMIT_NOFILE','hard':1048576,'soft':1024},"
    "  {'type':'RLIMIT_CORE','hard':18446744073709551615,'soft':0}],"
    " 'noNewPrivileges':true,'apparmorProfile':'docker-default',"
    " 'selinuxLabel':'system_u:system_r:container_t:s0','oomScoreAdj':-500},"
    "'root':{'path':'/var/lib/docker/overlay2/x/merged','readonly':true},"
    "'hostname':'abc','domainname':'example.com',"
    "'mounts':["
    " {'destination':'/proc','type':'proc','source':'proc',"
    "  'options':['nosuid','noexec','nodev']},"
    " {'destination':'/dev','type':'tmpfs','source':'tmpfs',"
    "  'options':['nosuid','strictatime','mode=755','size=65536k']},"
    " {'destination':'/etc/hosts','type':'bind','source':'/var/lib/docker/hosts',"
    "  'options':['rbind','rprivate','ro']},"
    " {'destination':'/sys/fs/cgroup','type':'cgroup','source':'cgroup',"
    "  'options':['ro','nosuid','noexec','nodev']}],"
    "'hooks':{'prestart':[{'path':'/usr/bin/netns-hook','args':['netns-hook','x'],"
    "  'env':['A=1'],'timeout':5}],"
    " 'createRuntime':[{'path':'/bin/cr'}],'createContainer':[{'path':'/bin/cc'}],"
    " 'startContainer':[{'path':'/bin/sc'}],'poststart':[{'path':'/bin/ps'}],"
    " 'poststop':[{'path':'/bin/p1'},{'path':'/bin/p2'}]},"
    "'annotations':{'org.opencontainers.image.os':'linux','com.example':'yes'},"
    "'linux':{"
    " 'namespaces':[{'type':'mount'},{'type':'network','path':'/proc/1/ns/net'},"
    "  {'type':'uts'},{'type':'pid'},{'type':'ipc'},{'type':'cgroup'}],"
    " 'devices':[{'path':'/dev/fuse','type':'c','major':10,'minor':229,"
    "  'fileMode':8630,'uid':0,'gid':0},{'path':'/dev/fifo','type':'p'}],"
    " 'cgroupsPath':'system.slice:docker:abc',"
    " 'resources':{"
    "  'devices':[{'allow':false,'access':'rwm'},"
    "   {'allow':true,'type':'c','major':1,'minor':3,'access':'mwr'},"
    "   {'allow':true,'type':'c','major':136,'access':'rw'}],"
    "  'memory':{'limit':536870912,'reservation':268435456,'swap':-1,"
    "   'swappiness':60,'disableOOMKiller':false},"
    "  'cpu':{'shares':512,'quota':50000,'period':100000,'cpus':'0-1','mems':'0',"
    "   'burst':1000,'idle':0},"
    "  'pids':{'limit':100},"
    "  'blockIO':{'weight':500,'weightDevice':[{'major':8,'minor':0,'weight':300}],"
    "   'throttleReadBpsDevice':[{'major':8,'minor':0,'rate':1048576}],"
    "   'throttleWriteIOPSDevice':[{'major':8,'minor':16,'rate':100}]},"
    "  'hugepageLimits':[{'pageSize':'2MB','limit':1073741824}],"
    "  'unified':{'memory.high':'1G'}},"
    " 'sysctl':{'net.ipv4.ip_forward':'1'},"
    " 'seccomp':{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':1,"
    "  'architectures':['SCMP_ARCH_X86_64','SCMP_ARCH_X86'],"
    "  'flags':['SECCOMP_FILTER_FLAG_LOG'],"
    "  'syscalls':[{'names':['read','write'],'action':'SCMP_ACT_ALLOW'},"
    "   {'names':['personality'],'action':'SCMP_ACT_ALLOW',"
    "    'args':[{'index':0,'value':0,'op':'SCMP_CMP_EQ'}]}]},"
    " 'rootfsPropagation':'rslave',"
    " 'maskedPaths':['/proc/kcore','/proc/keys'],"
    " 'readonlyPaths':['/proc/sys'],"
    " 'mountLabel':'system_u:object_r:container_file_t:s0',"
    " 'personality':{'domain':'LINUX'}}}";

static void test_docker_config(void **state)
{
	(void)state;
	_cleanup_free_ char *text = J(docker_config);
	ib_err err = {0};
	_cleanup_spec_ struct ib_spec *s = ib_spec_parse(text, "/b", &err);

	if (!s)
		fail_msg("%s", err.msg);
	assert_string_equal(s->oci_version, "1.0.2-dev");
	assert_string_equal(s->root_path, "/var/lib/docker/overlay2/x/merged");
	assert_true(s->root_readonly);
	assert_string_equal(s->hostname, "abc");
	assert_string_equal(s->domainname, "example.com");

	struct ib_process *p = s->process;
	assert_non_null(p);
	assert_false(p->terminal);
	assert_int_equal(p->console_height, 24);
	assert_int_equal(p->console_width, 80);
	assert_int_equal(p->uid, 1000);
	assert_int_equal(p->gid, 1000);
	assert_true(p->has_umask);
	assert_int_equal(p->umask, 022);
	assert_int_equal(p->n_additional_gids, 2);
	assert_int_equal(p->additional_gids[1], 20);
	assert_int_equal(ib_strv_len(p->args), 3);
	assert_string_equal(p->args[2], "echo hi");
	assert_string_equal(p->env[1], "HOSTNAME=abc");
	assert_string_equal(p->cwd, "/work");
	assert_true(p->has_caps);
	assert_int_equal(p->caps.bounding, (1ULL << 0) | (1ULL << 1) | (1ULL << 13) | (1ULL << 18));
	assert_int_equal(p->caps.effective, (1ULL << 0) | (1ULL << 13));
	assert_int_equal(p->caps.inheritable, 0);
	assert_int_equal(p->caps.ambient, 1ULL << 40);
	assert_int_equal(p->n_rlimits, 2);
	assert_int_equal(p->rlimits[0].resource, RLIMIT_NOFILE);
	assert_int_equal(p->rlimits[0].soft, 1024);
	assert_int_equal(p->rlimits[0].hard, 1048576);
	assert_int_equal(p->rlimits[1].resource, RLIMIT_CORE);
	assert_true(p->rlimits[1].hard == UINT64_MAX);
	assert_true(p->no_new_privileges);
	assert_string_equal(p->apparmor_profile, "docker-default");
	assert_string_equal(p->selinux_label, "system_u:system_r:container_t:s0");
	assert_true(p->has_oom_score_adj);
	assert_int_equal(p->oom_score_adj, -500);

	assert_int_equal(s->n_mounts, 4);
	assert_string_equal(s->mounts[0].destination, "/proc");
	assert_string_equal(s->mounts[0].type, "proc");
	assert_int_equal(s->mounts[0].flags, MS_NOSUID | MS_NOEXEC | MS_NODEV);
	assert_null(s->mounts[0].data);
	assert_string_equal(s->mounts[1].data, "mode=755,size=65536k");
	assert_int_equal(s->mounts[1].flags, MS_NOSUID | MS_STRICTATIME);
	assert_true(s->mounts[2].bind);
	assert_true(s->mounts[2].recursive);
	assert_int_equal(s->mounts[2].flags, MS_BIND | MS_REC | MS_RDONLY);
	assert_int_equal(s->mounts[2].propagation, MS_PRIVATE | MS_REC);
	assert_string_equal(s->mounts[2].options[0], "rbind");

	assert_int_equal(s->hooks.n_prestart, 1);
	assert_string_equal(s->hooks.prestart[0].path, "/usr/bin/netns-hook");
	assert_string_equal(s->hooks.prestart[0].args[1], "x");
	assert_string_equal(s->hooks.prestart[0].env[0], "A=1");
	assert_int_equal(s->hooks.prestart[0].timeout, 5);
	assert_int_equal(s->hooks.n_create_runtime, 1);
	assert_int_equal(s->hooks.n_create_container, 1);
	assert_int_equal(s->hooks.n_start_container, 1);
	assert_string_equal(s->hooks.start_container[0].path, "/bin/sc");
	assert_int_equal(s->hooks.n_poststart, 1);
	assert_int_equal(s->hooks.n_poststop, 2);
	assert_string_equal(s->hooks.poststop[1].path, "/bin/p2");
	assert_int_equal(s->hooks.poststop[1].timeout, 0);

	assert_int_equal(s->n_annotations, 2);
	assert_string_equal(ib_spec_annotation(s, "com.example"), "yes");
	assert_null(ib_spec_annotation(s, "missing"));

	for (int t = 0; t < IB_NS_COUNT; t++)
		assert_int_equal(s->ns[t].present, t != IB_NS_USER && t != IB_NS_TIME);
	assert_string_equal(s->ns[IB_NS_NET].path, "/proc/1/ns/net");
	assert_null(s->ns[IB_NS_PID].path);

	assert_int_equal(s->n_devices, 2);
	assert_string_equal(s->devices[0].path, "/dev/fuse");
	assert_int_equal(s->devices[0].type, 'c');
	assert_int_equal(s->devices[0].major, 10);
	assert_int_equal(s->devices[0].minor, 229);
	assert_true(s->devices[0].has_mode);
	assert_int_equal(s->devices[0].mode, 0666); /* S_IFCHR bits stripped */
	assert_true(s->devices[0].has_uid);
	assert_int_equal(s->devices[1].type, 'p');
	assert_false(s->devices[1].has_mode);
	assert_string_equal(s->cgroups_path, "system.slice:docker:abc");

	struct ib_resources *r = &s->resources;
	assert_true(s->has_resources);
	assert_int_equal(r->n_devices, 3);
	assert_false(r->devices[0].allow);
	assert_int_equal(r->devices[0].type, 'a');
	assert_int_equal(r->devices[0].major, -1);
	assert_int_equal(r->devices[0].minor, -1);
	assert_string_equal(r->devices[0].access, "rwm");
	assert_true(r->devices[1].allow);
	assert_int_equal(r->devices[1].type, 'c');
	assert_int_equal(r->devices[1].major, 1);
	assert_int_equal(r->devices[1].minor, 3);
	assert_string_equal(r->devices[1].access, "rwm");
	assert_int_equal(r->devices[2].minor, -1);
	assert_string_equal(r->devices[2].access, "rw");
	assert_true(r->has_mem_limit);
	assert_int_equal(r->mem_limit, 536870912);
	assert_int_equal(r->mem_reservation, 268435456);
	assert_true(r->has_mem_swap);
	assert_int_equal(r->mem_swap, -1);
	assert_false(r->has_mem_kernel);
	assert_true(r->has_mem_swappiness);
	assert_int_equal(r->mem_swappiness, 60);
	assert_true(r->has_disable_oom_killer);
	assert_false(r->disable_oom_killer);
	assert_false(r->has_mem_use_hierarchy);
	assert_int_equal(r->cpu_shares, 512);
	assert_int_equal(r->cpu_quota, 50000);
	assert_int_equal(r->cpu_period, 100000);
	assert_string_equal(r->cpuset_cpus, "0-1");
	assert_string_equal(r->cpuset_mems, "0");
	assert_true(r->has_cpu_burst);
	assert_int_equal(r->cpu_burst, 1000);
	assert_true(r->has_cpu_idle);
	assert_false(r->has_cpu_rt_runtime);
	assert_true(r->has_pids_limit);
	assert_int_equal(r->pids_limit, 100);
	assert_true(r->has_blkio_weight);
	assert_int_equal(r->blkio_weight, 500);
	assert_int_equal(r->n_blkio_weight_devices, 1);
	assert_int_equal(r->blkio_weight_devices[0].weight, 300);
	assert_false(r->blkio_weight_devices[0].has_leaf_weight);
	assert_int_equal(r->n_throttle_read_bps, 1);
	assert_int_equal(r->throttle_read_bps[0].rate, 1048576);
	assert_int_equal(r->n_throttle_write_iops, 1);
	assert_int_equal(r->throttle_write_iops[0].minor, 16);
	assert_int_equal(r->n_throttle_write_bps, 0);
	assert_int_equal(r->n_hugepage_limits, 1);
	assert_string_equal(r->hugepage_limits[0].page_size, "2MB");
	assert_int_equal(r->n_unified, 1);
	assert_string_equal(r->unified_keys[0], "memory.high");
	assert_string_equal(r->unified_values[0], "1G");

	assert_int_equal(s->n_sysctls, 1);
	assert_string_equal(s->sysctls[0].key, "net.ipv4.ip_forward");
	assert_string_equal(s->sysctls[0].value, "1");

	assert_non_null(s->seccomp);
	assert_int_equal(s->seccomp->default_action, SCMP_ACT_ERRNO(1));
	assert_true(s->seccomp->has_default_errno_ret);
	assert_int_equal(ib_strv_len(s->seccomp->architectures), 2);
	assert_string_equal(s->seccomp->flags[0], "SECCOMP_FILTER_FLAG_LOG");
	assert_int_equal(s->seccomp->n_rules, 2);
	assert_string_equal(s->seccomp->rules[0].names[1], "write");
	assert_int_equal(s->seccomp->rules[0].action, SCMP_ACT_ALLOW);
	assert_int_equal(s->seccomp->rules[1].n_args, 1);
	assert_int_equal(s->seccomp->rules[1].args[0].op, SCMP_CMP_EQ);

	assert_int_equal(s->rootfs_propagation, MS_SLAVE | MS_REC);
	assert_string_equal(s->masked_paths[1], "/proc/keys");
	assert_string_equal(s->readonly_paths[0], "/proc/sys");
	assert_string_equal(s->mount_label, "system_u:object_r:container_file_t:s0");
	assert_string_equal(s->personality_domain, "LINUX");
	assert_non_null(s->json);
}

static void test_minimal_without_process(void **state)
{
	(void)state;
	_cleanup_spec_ struct ib_spec *s = parse_ok(NULL);

	assert_null(s->process);
	assert_int_equal(s->n_mounts, 0);
	assert_null(s->seccomp);
	assert_false(s->has_resources);
	assert_int_equal(s->rootfs_propagation, 0);
	for (int t = 0; t < IB_NS_COUNT; t++)
		assert_false(s->ns[t].present);
}

static void test_root_path_resolution(void **state)
{
	(void)state;
	ib_err err = {0};
	struct {
		const char *root, *bundle, *want;
	} cases[] = {
	    {"rootfs", "/bundle", "/bundle/rootfs"},
	    {"./rootfs/", "/bundle/", "/bundle/rootfs"},
	    {"../shared/rootfs", "/srv/b", "/srv/shared/rootfs"},
	    {"/abs//root/.", "/bundle", "/abs/root"},
	};

	for (size_t i = 0; i < IB_ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *raw =
		    ib_xasprintf("{'ociVersion':'1.2.0','root':{'path':'%s'}}", cases[i].root);
		_cleanup_free_ char *text = J(raw);
		_cleanup_spec_ struct ib_spec *s = ib_spec_parse(text, cases[i].bundle, &err);
		assert_non_null(s);
		assert_string_equal(s->root_path, cases[i].want);
		assert_false(s->root_readonly);
	}

	/* Relative bundle is made absolute against the cwd. */
	_cleanup_free_ char *cwd = getcwd(NULL, 0);
	_cleanup_free_ char *want = ib_xasprintf("%s/b/rootfs", strcmp(cwd, "/") ? cwd : "");
	_cleanup_free_ char *text = doc(NULL);
	_cleanup_spec_ struct ib_spec *s = ib_spec_parse(text, "b", &err);
	assert_non_null(s);
	assert_string_equal(s->root_path, want);
}

static void test_version_and_root_errors(void **state)
{
	(void)state;
	ib_err err = {0};
	struct {
		const char *text, *want;
	} cases[] = {
	    {"{'root':{'path':'r'}}", "config.json: ociVersion: required"},
	    {"{'ociVersion':'2.0.0','root':{'path':'r'}}", "ociVersion: unsupported version"},
	    {"{'ociVersion':'0.5','root':{'path':'r'}}", "unsupported version \"0.5\""},
	    {"{'ociVersion':1,'root':{'path':'r'}}", "ociVersion: expected a string, got number"},
	    {"{'ociVersion':'1.0.0'}", "config.json: root: required"},
	    {"{'ociVersion':'1.0.0','root':{}}", "root.path: required"},
	    {"{'ociVersion':'1.0.0','root':'rootfs'}", "root: expected an object, got string"},
	    {"{'ociVersion':'1.0.0','root':{'path':'r','readonly':'yes'}}",
	     "root.readonly: expected a boolean, got string"},
	};

	for (size_t i = 0; i < IB_ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *text = J(cases[i].text);
		struct ib_spec *s = ib_spec_parse(text, "/b", &err);
		assert_null(s);
		if (!strstr(err.msg, cases[i].want))
			fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, cases[i].want);
	}
}

static void test_mount_destination_errors(void **state)
{
	(void)state;
	parse_fails("'mounts':[{'destination':'/proc','type':'proc'},"
		    "{'destination':'/a'},{'destination':'/b'},{'destination':'relative/x'}]",
		    "config.json: mounts[3]: destination must be an absolute path");
	parse_fails("'mounts':[{'type':'tmpfs','source':'tmpfs'}]",
		    "config.json: mounts[0]: destination is required");
	parse_fails("'mounts':[{'destination':'/x','options':'ro'}]",
		    "mounts[0].options: expected an array, got string");
	parse_fails("'mounts':[{'destination':'/x','options':['ro',5]}]",
		    "mounts[0].options[1]: expected a string, got number");
	parse_fails("'mounts':['/x']", "mounts[0]: expected an object, got string");
	parse_fails("'mounts':[{'destination':'/x','uidMappings':[{'containerID':0,'hostID':1}]}]",
		    "mounts[0].uidMappings[0].size: required");
}

static void test_mount_recursive_attrs(void **state)
{
	(void)state;
	_cleanup_spec_ struct ib_spec *s =
	    parse_ok("'mounts':["
		     "{'destination':'/a','source':'/s','options':['rbind','ro','rro','rnosuid']},"
		     "{'destination':'/b','source':'/s','options':['rbind','rro','rrw','rnoexec']},"
		     "{'destination':'/c','source':'/s','options':['rbind','rnoatime','rnodev']},"
		     "{'destination':'/d','source':'/s','options':['rbind','rrelatime','rsuid']},"
		     "{'destination':'/e','type':'tmpfs','options':['tmpcopyup','notmpcopyup']}]");
	struct ib_mount *m = s->mounts;

	assert_int_equal(s->n_mounts, 5);
	/* "ro" stays a flag of the top mount; "rro" is a recursive attribute. */
	assert_int_equal(m[0].flags, MS_BIND | MS_REC | MS_RDONLY);
	assert_int_equal(m[0].rec_attr_set, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID);
	assert_int_equal(m[0].rec_attr_clr, 0);
	assert_null(m[0].data); /* none of them is fs data */
	/* The later option wins. */
	assert_int_equal(m[1].flags, MS_BIND | MS_REC);
	assert_int_equal(m[1].rec_attr_set, MOUNT_ATTR_NOEXEC);
	assert_int_equal(m[1].rec_attr_clr, MOUNT_ATTR_RDONLY);
	/* An access-time mode clears the whole atime field (mount_setattr(2)). */
	assert_int_equal(m[2].rec_attr_set, MOUNT_ATTR_NOATIME | MOUNT_ATTR_NODEV);
	assert_int_equal(m[2].rec_attr_clr, MOUNT_ATTR__ATIME);
	assert_int_equal(m[3].rec_attr_set, 0); /* MOUNT_ATTR_RELATIME is 0 */
	assert_int_equal(m[3].rec_attr_clr, MOUNT_ATTR__ATIME | MOUNT_ATTR_NOSUID);
	assert_false(m[4].tmpcopyup);
	assert_null(m[4].data);
}

static void test_mount_flags(void **state)
{
	(void)state;
	_cleanup_spec_ struct ib_spec *s =
	    parse_ok("'mounts':["
		     "{'destination':'/a','type':'ext4','source':'/dev/sda1','options':["
		     " 'defaults','ro','nosuid','nodev','noexec','sync','dirsync','mand','noatime',"
		     " 'nodiratime','relatime','strictatime','remount','user_xattr','commit=5']},"
		     "{'destination':'/b','type':'tmpfs','options':['ro','rw','suid','dev','exec',"
		     " 'async','nomand','atime','diratime','norelatime','nostrictatime']},"
		     "{'destination':'/c','source':'/src','options':['bind','shared','tmpcopyup']},"
		     "{'destination':'/d','source':'/src','type':'bind','options':['runbindable']},"
		     "{'destination':'/e','source':'/src','options':['rbind','idmap']},"
		     "{'destination':'/f','source':'/src','options':['rbind'],"
		     " 'uidMappings':[{'containerID':0,'hostID':100000,'size':65536}],"
		     " 'gidMappings':[{'containerID':0,'hostID':100000,'size':65536}]},"
		     "{'destination':'/g','options':['noexec','exec','rslave','private']}]");
	struct ib_mount *m = s->mounts;

	assert_int_equal(s->n_mounts, 7);
	assert_int_equal(m[0].flags, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_SYNCHRONOUS |
					 MS_DIRSYNC | MS_MANDLOCK | MS_NOATIME | MS_NODIRATIME |
					 MS_RELATIME | MS_STRICTATIME | MS_REMOUNT);
	assert_int_equal(m[0].clear, 0);
	assert_string_equal(m[0].data, "user_xattr,commit=5");
	assert_false(m[0].bind);
	assert_int_equal(m[0].propagation, 0);

	assert_int_equal(m[1].flags, 0);
	assert_int_equal(m[1].clear, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_SYNCHRONOUS |
					 MS_MANDLOCK | MS_NOATIME | MS_NODIRATIME | MS_RELATIME |
					 MS_STRICTATIME);
	assert_null(m[1].data);

	assert_true(m[2].bind);
	assert_false(m[2].recursive);
	assert_int_equal(m[2].flags, MS_BIND);
	assert_int_equal(m[2].propagation, MS_SHARED);
	assert_null(m[2].data); /* tmpcopyup is not fs data */
	assert_true(m[2].tmpcopyup);
	assert_int_equal(m[2].rec_attr_set | m[2].rec_attr_clr, 0);

	assert_true(m[3].bind); /* type "bind" alone makes a bind mount */
	assert_int_equal(m[3].flags, MS_BIND);
	assert_int_equal(m[3].propagation, MS_UNBINDABLE | MS_REC);
	assert_true(m[3].recursive);

	assert_true(m[4].idmap);
	assert_true(m[4].recursive);
	assert_int_equal(m[4].flags, MS_BIND | MS_REC);
	assert_int_equal(m[4].n_uid_mappings, 0);

	assert_true(m[5].idmap);
	assert_int_equal(m[5].n_uid_mappings, 1);
	assert_int_equal(m[5].uid_mappings[0].host_id, 100000);
	assert_int_equal(m[5].gid_mappings[0].size, 65536);

	/* Later options win: exec after noexec; private after rslave. */
	assert_int_equal(m[6].flags, 0);
	assert_int_equal(m[6].clear, MS_NOEXEC);
	assert_int_equal(m[6].propagation, MS_PRIVATE);
}

static void test_namespace_errors(void **state)
{
	(void)state;
	parse_fails("'linux':{'namespaces':[{'type':'pid'},{'type':'pid'}]}",
		    "linux.namespaces[1].type: duplicate namespace \"pid\"");
	parse_fails("'linux':{'namespaces':[{'type':'net'}]}",
		    "linux.namespaces[0].type: unknown namespace type \"net\"");
	parse_fails("'linux':{'namespaces':[{'path':'/proc/1/ns/pid'}]}",
		    "linux.namespaces[0].type: required");
	parse_fails("'linux':{'namespaces':[{'type':'ipc','path':'proc/1/ns/ipc'}]}",
		    "linux.namespaces[0].path: must be an absolute path");
	parse_fails("'linux':{'namespaces':{'type':'pid'}}",
		    "linux.namespaces: expected an array, got object");
}

static void test_all_namespaces(void **state)
{
	(void)state;
	_cleanup_spec_ struct ib_spec *s =
	    parse_ok("'linux':{'namespaces':[{'type':'pid'},{'type':'network'},"
		     "{'type':'mount'},{'type':'ipc'},{'type':'uts'},{'type':'user'},"
		     "{'type':'cgroup'},{'type':'time'}],"
		     "'uidMappings':[{'containerID':0,'hostID':1000,'size':1}],"
		     "'gidMappings':[{'containerID':0,'hostID':1000,'size':1},"
		     "{'containerID':1,'hostID':100000,'size':65536}]}");

	for (int t = 0; t < IB_NS_COUNT; t++)
		assert_true(s->ns[t].present);
	assert_int_equal(s->n_uid_mappings, 1);
	assert_int_equal(s->uid_mappings[0].host_id, 1000);
	assert_int_equal(s->n_gid_mappings, 2);
	assert_int_equal(s->gid_mappings[1].container_id, 1);
	assert_int_equal(s->gid_mappings[1].size, 65536);
}

static void test_idmap_errors(void **state)
{
	(void)state;
	parse_fails("'linux':{'uidMappings':[{'containerID':0,'hostID':1000,'size':0}]}",
		    "linux.uidMappings[0].size: must be greater than 0");
	parse_fails("'linux':{'gidMappings':[{'containerID':0,'size':1}]}",
		    "linux.gidMappings[0].hostID: required");
	parse_fails("'linux':{'uidMappings':[{'containerID':-1,'hostID':0,'size':1}]}",
		    "linux.uidMappings[0].containerID: must not be negative");
	parse_fails("'linux':{'uidMappings':[{'containerID':4294967296,'hostID':0,'size':1}]}",
		    "containerID: value 4294967296 out of range");
}

static void test_process_errors(void **state)
{
	(void)state;
	parse_fails("'process':{'rlimits':[{'type':'RLIMIT_BOGUS','soft':1,'hard':1}]}",
		    "process.rlimits[0].type: unknown rlimit \"RLIMIT_BOGUS\"");
	parse_fails("'process':{'rlimits':[{'type':'RLIMIT_NOFILE','soft':10,'hard':5}]}",
		    "process.rlimits[0]: soft limit 10 exceeds hard limit 5");
	parse_fails("'process':{'rlimits':[{'type':'RLIMIT_NOFILE','soft':1,'hard':1},"
		    "{'type':'RLIMIT_NOFILE','soft':1,'hard':1}]}",
		    "process.rlimits[1].type: duplicate rlimit");
	parse_fails("'process':{'rlimits':[{'type':'RLIMIT_NOFILE','soft':1}]}",
		    "process.rlimits[0].hard: required");
	parse_fails("'process':{'cwd':'work'}", "process.cwd: must be an absolute path");
	parse_fails("'process':{'oomScoreAdj':1001}", "process.oomScoreAdj: 1001 is out of range");
	parse_fails("'process':{'user':{'uid':-1}}", "process.user.uid: must not be negative");
	parse_fails("'process':{'user':{'uid':0,'additionalGids':[1,'x']}}",
		    "process.user.additionalGids[1]: expected a number, got string");
	parse_fails("'process':{'user':{'uid':1.5}}", "process.user.uid: expected an integer");
}

static void test_unknown_caps_warn(void **state)
{
	(void)state;
	warnings[0] = '\0';
	ib_log_set_sink(warn_sink, NULL);
	_cleanup_spec_ struct ib_spec *s =
	    parse_ok("'process':{'capabilities':{'bounding':['CAP_KILL','CAP_FLY','CAP_SYS_ADMIN'],"
		     "'effective':['CAP_NOPE']}}");
	ib_log_set_sink(NULL, NULL);

	assert_true(s->process->has_caps);
	assert_int_equal(s->process->caps.bounding, (1ULL << 5) | (1ULL << 21));
	assert_int_equal(s->process->caps.effective, 0);
	assert_non_null(strstr(warnings, "process.capabilities.bounding: unknown capability "
					 "\"CAP_FLY\""));
	assert_non_null(strstr(warnings, "CAP_NOPE"));

	parse_fails("'process':{'capabilities':{'bounding':'CAP_KILL'}}",
		    "process.capabilities.bounding: expected an array, got string");
}

static void test_hook_errors(void **state)
{
	(void)state;
	parse_fails("'hooks':{'prestart':[{'args':['x']}]}",
		    "config.json: hooks.prestart[0]: path is required");
	parse_fails("'hooks':{'poststop':[{'path':'/bin/true','timeout':0}]}",
		    "hooks.poststop[0].timeout: must be greater than 0");
	parse_fails("'hooks':{'createRuntime':[{'path':'/bin/true','timeout':-3}]}",
		    "hooks.createRuntime[0].timeout: must be greater than 0");
	parse_fails("'hooks':{'startContainer':[{'path':'true'}]}",
		    "hooks.startContainer[0]: path must be absolute");
	parse_fails("'hooks':{'poststart':{'path':'/bin/true'}}",
		    "hooks.poststart: expected an array, got object");
	parse_fails("'hooks':{'createContainer':[{'path':'/x','env':[1]}]}",
		    "hooks.createContainer[0].env[0]: expected a string");
}

static void test_devices(void **state)
{
	(void)state;
	parse_fails("'linux':{'devices':[{'path':'/dev/x','type':'z','major':1,'minor':1}]}",
		    "linux.devices[0].type: invalid device type \"z\"");
	parse_fails("'linux':{'devices':[{'path':'/dev/x','type':'c','major':1}]}",
		    "linux.devices[0]: major and minor are required");
	parse_fails("'linux':{'devices':[{'path':'dev/x','type':'b','major':1,'minor':1}]}",
		    "linux.devices[0]: path must be an absolute path");
	parse_fails("'linux':{'devices':[{'type':'u','major':1,'minor':1}]}",
		    "linux.devices[0]: path is required");
	parse_fails("'linux':{'resources':{'devices':[{'allow':true,'type':'p'}]}}",
		    "linux.resources.devices[0].type: invalid device type");
	parse_fails("'linux':{'resources':{'devices':[{'allow':'yes'}]}}",
		    "linux.resources.devices[0].allow: expected a boolean, got string");

	_cleanup_spec_ struct ib_spec *s =
	    parse_ok("'linux':{'devices':[{'path':'/dev/sda','type':'b','major':8,'minor':0,"
		     "'fileMode':432,'gid':6}],'resources':{'devices':[{'allow':true,'type':'b',"
		     "'minor':0,'access':'m'}]}}");
	assert_int_equal(s->devices[0].type, 'b');
	assert_int_equal(s->devices[0].mode, 0660);
	/* Access letters other than r, w, m grant nothing (runc: "rwa" is "rw"). */
	{
		_cleanup_spec_ struct ib_spec *a =
		    parse_ok("'linux':{'resources':{'devices':[{'allow':true,'access':'rwa'},"
			     "{'allow':true,'access':'a'},{'allow':false,'access':'xmq'}]}}");
		assert_string_equal(a->resources.devices[0].access, "rw");
		assert_string_equal(a->resources.devices[1].access, "");
		assert_string_equal(a->resources.devices[2].access, "m");
	}
	assert_false(s->devices[0].has_uid);
	assert_true(s->devices[0].has_gid);
	assert_int_equal(s->devices[0].gid, 6);
	assert_int_equal(s->resources.devices[0].major, -1);
	assert_int_equal(s->resources.devices[0].minor, 0);
	assert_string_equal(s->resources.devices[0].access, "m");
}

static void test_resources(void **state)
{
	(void)state;
	_cleanup_spec_ struct ib_spec *s =
	    parse_ok("'linux':{'resources':{'memory':{'limit':-1,'swappiness':-1,"
		     "'kernel':1024,'useHierarchy':true,'disableOOMKiller':true},"
		     "'cpu':{'quota':-1,'realtimeRuntime':950000,'realtimePeriod':1000000},"
		     "'pids':{'limit':-1},"
		     "'blockIO':{'leafWeight':200,'weightDevice':[{'major':8,'minor':0,"
		     "'leafWeight':10}],'throttleWriteBpsDevice':[{'major':8,'minor':0,"
		     "'rate':0}],'throttleReadIOPSDevice':[{'major':259,'minor':1,'rate':5}]}}}");
	struct ib_resources *r = &s->resources;

	assert_int_equal(r->mem_limit, -1);
	assert_false(r->has_mem_swappiness); /* -1 = unset */
	assert_true(r->has_mem_kernel);
	assert_true(r->mem_use_hierarchy);
	assert_true(r->disable_oom_killer);
	assert_int_equal(r->cpu_quota, -1);
	assert_false(r->has_cpu_shares);
	assert_int_equal(r->cpu_rt_runtime, 950000);
	assert_int_equal(r->cpu_rt_period, 1000000);
	assert_int_equal(r->pids_limit, -1);
	assert_false(r->has_blkio_weight);
	assert_int_equal(r->blkio_leaf_weight, 200);
	assert_true(r->blkio_weight_devices[0].has_leaf_weight);
	assert_false(r->blkio_weight_devices[0].has_weight);
	assert_int_equal(r->n_throttle_write_bps, 1);
	assert_int_equal(r->n_throttle_read_iops, 1);
	assert_int_equal(r->throttle_read_iops[0].major, 259);
	assert_null(r->cpuset_cpus);
	assert_int_equal(r->n_unified, 0);

	parse_fails("'linux':{'resources':{'memory':{'swappiness':101}}}",
		    "linux.resources.memory.swappiness: invalid value 101");
	parse_fails("'linux':{'resources':{'memory':{'limit':'1G'}}}",
		    "linux.resources.memory.limit: expected a number, got string");
	parse_fails("'linux':{'resources':{'cpu':{'shares':-2}}}",
		    "linux.resources.cpu.shares: must not be negative");
	parse_fails("'linux':{'resources':{'blockIO':{'weight':70000}}}",
		    "linux.resources.blockIO: weight out of range");
	parse_fails("'linux':{'resources':{'blockIO':{'throttleReadBpsDevice':[{'major':8,"
		    "'minor':0}]}}}",
		    "linux.resources.blockIO.throttleReadBpsDevice[0].rate: required");
	parse_fails("'linux':{'resources':{'hugepageLimits':[{'limit':1}]}}",
		    "linux.resources.hugepageLimits[0].pageSize: required");
	parse_fails("'linux':{'resources':{'unified':{'memory.max':5}}}",
		    "linux.resources.unified.memory.max: expected a string, got number");
}

static void test_seccomp(void **state)
{
	(void)state;
	_cleanup_spec_ struct ib_spec *s = parse_ok(
	    "'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ERRNO',"
	    "'listenerPath':'/run/seccomp.sock',"
	    "'flags':['SECCOMP_FILTER_FLAG_TSYNC','SECCOMP_FILTER_FLAG_SPEC_ALLOW'],"
	    "'syscalls':["
	    "{'names':['a'],'action':'SCMP_ACT_KILL'},"
	    "{'names':['b'],'action':'SCMP_ACT_KILL_PROCESS'},"
	    "{'names':['c'],'action':'SCMP_ACT_KILL_THREAD'},"
	    "{'names':['d'],'action':'SCMP_ACT_TRAP'},"
	    "{'names':['e'],'action':'SCMP_ACT_ERRNO','errnoRet':38},"
	    "{'names':['f'],'action':'SCMP_ACT_TRACE'},"
	    "{'names':['g'],'action':'SCMP_ACT_LOG'},"
	    "{'names':['h'],'action':'SCMP_ACT_NOTIFY'},"
	    "{'names':['clone'],'action':'SCMP_ACT_ALLOW','args':["
	    " {'index':0,'value':2114060288,'valueTwo':0,'op':'SCMP_CMP_MASKED_EQ'},"
	    " {'index':5,'value':18446744073709551615,'op':'SCMP_CMP_NE'},"
	    " {'index':1,'value':1,'op':'SCMP_CMP_LT'},{'index':1,'value':1,'op':'SCMP_CMP_LE'},"
	    " {'index':1,'value':1,'op':'SCMP_CMP_GE'},{'index':1,'value':1,'op':'SCMP_CMP_GT'}"
	    "]}]}}");
	struct ib_seccomp *sc = s->seccomp;

	assert_int_equal(sc->default_action, SCMP_ACT_ERRNO(EPERM));
	assert_false(sc->has_default_errno_ret);
	assert_null(sc->architectures);
	assert_string_equal(sc->listener_path, "/run/seccomp.sock");
	assert_int_equal(ib_strv_len(sc->flags), 2);
	assert_int_equal(sc->n_rules, 9);
	assert_int_equal(sc->rules[0].action, SCMP_ACT_KILL);
	assert_int_equal(sc->rules[1].action, SCMP_ACT_KILL_PROCESS);
	assert_int_equal(sc->rules[2].action, SCMP_ACT_KILL_THREAD);
	assert_int_equal(sc->rules[3].action, SCMP_ACT_TRAP);
	assert_int_equal(sc->rules[4].action, SCMP_ACT_ERRNO(38));
	assert_true(sc->rules[4].has_errno_ret);
	assert_int_equal(sc->rules[4].errno_ret, 38);
	assert_int_equal(sc->rules[5].action, SCMP_ACT_TRACE(EPERM));
	assert_int_equal(sc->rules[6].action, SCMP_ACT_LOG);
	assert_int_equal(sc->rules[7].action, SCMP_ACT_NOTIFY);
	struct ib_seccomp_rule *r = &sc->rules[8];
	assert_string_equal(r->names[0], "clone");
	assert_int_equal(r->n_args, 6);
	assert_int_equal(r->args[0].index, 0);
	assert_int_equal(r->args[0].value, 2114060288);
	assert_int_equal(r->args[0].op, SCMP_CMP_MASKED_EQ);
	assert_int_equal(r->args[1].index, 5);
	assert_true(r->args[1].value == UINT64_MAX);
	assert_int_equal(r->args[1].op, SCMP_CMP_NE);
	assert_int_equal(r->args[2].op, SCMP_CMP_LT);
	assert_int_equal(r->args[3].op, SCMP_CMP_LE);
	assert_int_equal(r->args[4].op, SCMP_CMP_GE);
	assert_int_equal(r->args[5].op, SCMP_CMP_GT);
}

static void test_seccomp_errors(void **state)
{
	(void)state;
	parse_fails("'linux':{'seccomp':{}}", "linux.seccomp.defaultAction: required");
	parse_fails("'linux':{'seccomp':{'defaultAction':'SCMP_ACT_DENY'}}",
		    "linux.seccomp.defaultAction: unknown seccomp action \"SCMP_ACT_DENY\"");
	parse_fails("'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','defaultErrnoRet':1}}",
		    "linux.seccomp.defaultErrnoRet: only valid with SCMP_ACT_ERRNO");
	parse_fails("'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW',"
		    "'syscalls':[{'names':[],'action':'SCMP_ACT_ERRNO'}]}}",
		    "linux.seccomp.syscalls[0].names: at least one syscall name is required");
	parse_fails("'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW',"
		    "'syscalls':[{'names':['x']}]}}",
		    "linux.seccomp.syscalls[0].action: required");
	parse_fails("'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':"
		    "['x'],'action':'SCMP_ACT_ERRNO','args':[{'index':6,'value':0,'op':"
		    "'SCMP_CMP_EQ'}]}]}}",
		    "linux.seccomp.syscalls[0].args[0].index: must be between 0 and 5");
	parse_fails("'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':"
		    "['x'],'action':'SCMP_ACT_ERRNO','args':[{'index':0,'value':0,'op':"
		    "'SCMP_CMP_XX'}]}]}}",
		    "linux.seccomp.syscalls[0].args[0].op: unknown operator \"SCMP_CMP_XX\"");
	parse_fails("'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':"
		    "['x'],'action':'SCMP_ACT_ERRNO','args':[{'index':0,'op':'SCMP_CMP_EQ'}]}]}}",
		    "args[0].value: required");
	parse_fails("'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','flags':['BOGUS']}}",
		    "linux.seccomp.flags: unknown seccomp flag \"BOGUS\"");
	parse_fails("'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','architectures':"
		    "['x86_64']}}",
		    "linux.seccomp.architectures: invalid architecture");
}

static void test_linux_misc(void **state)
{
	(void)state;
	_cleanup_spec_ struct ib_spec *s =
	    parse_ok("'linux':{'rootfsPropagation':'shared','sysctl':{'kernel.shm_rmid_forced':'1',"
		     "'net.core.somaxconn':'1024'},'personality':{'domain':'LINUX32','flags':[]},"
		     "'intelRdt':{'closID':'x'},'unknownFutureField':42}");

	assert_int_equal(s->rootfs_propagation, MS_SHARED);
	assert_int_equal(s->n_sysctls, 2);
	assert_string_equal(s->personality_domain, "LINUX32");

	parse_fails("'linux':{'rootfsPropagation':'sideways'}",
		    "linux.rootfsPropagation: invalid propagation \"sideways\"");
	parse_fails("'linux':{'personality':{'domain':'BSD'}}",
		    "linux.personality.domain: unknown domain");
	parse_fails("'linux':{'maskedPaths':['proc/kcore']}",
		    "linux.maskedPaths[0]: must be an absolute path");
	parse_fails("'linux':{'sysctl':{'a':1}}", "linux.sysctl.a: expected a string, got number");
	parse_fails("'linux':[]", "config.json: linux: expected an object, got array");
}

static void test_wrong_types(void **state)
{
	(void)state;
	struct {
		const char *extra, *want;
	} cases[] = {
	    {"'process':[]", "process: expected an object, got array"},
	    {"'process':{'args':'sh'}", "process.args: expected an array, got string"},
	    {"'process':{'args':['sh',null]}", "process.args[1]: expected a string, got null"},
	    {"'process':{'env':{}}", "process.env: expected an array, got object"},
	    {"'process':{'terminal':'yes'}", "process.terminal: expected a boolean"},
	    {"'process':{'user':{'gid':'0'}}", "process.user.gid: expected a number"},
	    {"'process':{'user':[]}", "process.user: expected an object"},
	    {"'process':{'consoleSize':{'height':true}}", "process.consoleSize.height"},
	    {"'process':{'rlimits':[1]}", "process.rlimits[0]: expected an object, got number"},
	    {"'process':{'noNewPrivileges':1}", "process.noNewPrivileges: expected a boolean"},
	    {"'hostname':5", "hostname: expected a string, got number"},
	    {"'mounts':{}", "mounts: expected an array, got object"},
	    {"'mounts':[{'destination':5}]", "mounts[0].destination: expected a string"},
	    {"'hooks':[]", "hooks: expected an object, got array"},
	    {"'annotations':{'a':'b','c':[]}", "annotations.c: expected a string, got array"},
	    {"'annotations':[]", "annotations: expected an object"},
	    {"'linux':{'cgroupsPath':{}}", "linux.cgroupsPath: expected a string"},
	    {"'linux':{'resources':[]}", "linux.resources: expected an object"},
	    {"'linux':{'resources':{'pids':{'limit':'max'}}}", "linux.resources.pids.limit"},
	    {"'linux':{'seccomp':true}", "linux.seccomp: expected an object, got boolean"},
	    {"'linux':{'uidMappings':[{'containerID':'0','hostID':0,'size':1}]}",
	     "linux.uidMappings[0].containerID: expected a number"},
	};

	for (size_t i = 0; i < IB_ARRAY_SIZE(cases); i++)
		parse_fails(cases[i].extra, cases[i].want);
}

static void test_null_fields_are_absent(void **state)
{
	(void)state;
	_cleanup_spec_ struct ib_spec *s =
	    parse_ok("'hostname':null,'mounts':null,'process':{'args':null,'env':['A=1'],"
		     "'user':{'uid':0,'gid':0}},'linux':{'namespaces':null,'seccomp':null}");
	assert_null(s->hostname);
	assert_int_equal(s->n_mounts, 0);
	assert_null(s->process->args);
	assert_null(s->seccomp);
}

static void test_malformed_json(void **state)
{
	(void)state;
	ib_err err = {0};
	struct {
		const char *text, *want;
	} cases[] = {
	    {"{\"ociVersion\": \"1.0.0\",", "config.json: invalid JSON: unexpected end of data"},
	    {"{\"ociVersion\" \"1.0.0\"}", "config.json: invalid JSON: "},
	    {"{\"a\":1} trailing", "config.json: invalid JSON: unexpected character"},
	    {"{\"a\":1,}", "config.json: invalid JSON: unexpected character"},
	    {"{\"a\":[1,]}", "config.json: invalid JSON"},
	    {"[]", "expected a JSON object at the top level, got array"},
	    {"null", "expected a JSON object at the top level"},
	    {"", "config.json: invalid JSON"},
	};

	for (size_t i = 0; i < IB_ARRAY_SIZE(cases); i++) {
		struct ib_spec *s = ib_spec_parse(cases[i].text, "/b", &err);
		assert_null(s);
		if (!strstr(err.msg, cases[i].want))
			fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, cases[i].want);
	}
	/* Trailing whitespace is fine. */
	_cleanup_free_ char *ok = J("{'ociVersion':'1.0.0','root':{'path':'/r'}}\n\n  ");
	_cleanup_spec_ struct ib_spec *s = ib_spec_parse(ok, "/b", &err);
	assert_non_null(s);
}

static void test_to_json_roundtrip(void **state)
{
	(void)state;
	_cleanup_free_ char *text = J(docker_config);
	ib_err err = {0};
	_cleanup_spec_ struct ib_spec *s = ib_spec_parse(text, "/b", &err);
	assert_non_null(s);

	/* What the policy stage does: add a user namespace with mappings, drop net path. */
	s->ns[IB_NS_USER].present = true;
	free(s->ns[IB_NS_NET].path);
	s->ns[IB_NS_NET].path = NULL;
	s->ns[IB_NS_CGROUP].present = false;
	assert_null(s->uid_mappings); /* empty arrays of ID mappings are NULL */
	s->uid_mappings = ib_xmalloc0(sizeof(struct ib_idmap));
	s->uid_mappings[0] = (struct ib_idmap){0, 100000, 65536};
	s->n_uid_mappings = 1;
	free(s->gid_mappings);
	s->gid_mappings = ib_xmalloc0(2 * sizeof(struct ib_idmap));
	s->gid_mappings[0] = (struct ib_idmap){0, 100000, 1};
	s->gid_mappings[1] = (struct ib_idmap){1, 100001, 65535};
	s->n_gid_mappings = 2;

	_cleanup_free_ char *out = ib_spec_to_json(s);
	assert_non_null(out);
	_cleanup_spec_ struct ib_spec *s2 = ib_spec_parse(out, "/b", &err);
	if (!s2)
		fail_msg("%s", err.msg);
	assert_true(s2->ns[IB_NS_USER].present);
	assert_false(s2->ns[IB_NS_CGROUP].present);
	assert_true(s2->ns[IB_NS_NET].present);
	assert_null(s2->ns[IB_NS_NET].path);
	assert_int_equal(s2->n_uid_mappings, 1);
	assert_int_equal(s2->uid_mappings[0].host_id, 100000);
	assert_int_equal(s2->n_gid_mappings, 2);
	assert_int_equal(s2->gid_mappings[1].size, 65535);
	/* Everything else is preserved. */
	assert_int_equal(s2->n_mounts, 4);
	assert_string_equal(s2->process->args[2], "echo hi");
	assert_int_equal(s2->seccomp->n_rules, 2);
	assert_string_equal(ib_spec_annotation(s2, "com.example"), "yes");
	assert_true(s2->process->rlimits[1].hard == UINT64_MAX);
	/* The original document is untouched. */
	json_object *lx, *m;
	assert_true(json_object_object_get_ex(s->json, "linux", &lx));
	assert_false(json_object_object_get_ex(lx, "uidMappings", &m));

	/* Dropping all mappings removes the keys. */
	s2->n_uid_mappings = s2->n_gid_mappings = 0;
	_cleanup_free_ char *out2 = ib_spec_to_json(s2);
	assert_null(strstr(out2, "uidMappings"));
	assert_null(strstr(out2, "gidMappings"));
}

static void test_to_json_without_linux(void **state)
{
	(void)state;
	_cleanup_spec_ struct ib_spec *s = parse_ok("'hostname':'h'");
	s->ns[IB_NS_PID].present = true;
	s->ns[IB_NS_NET].present = true;
	s->ns[IB_NS_NET].path = ib_xstrdup("/var/run/netns/x");

	_cleanup_free_ char *out = ib_spec_to_json(s);
	ib_err err = {0};
	_cleanup_spec_ struct ib_spec *s2 = ib_spec_parse(out, "/bundle", &err);
	assert_non_null(s2);
	assert_true(s2->ns[IB_NS_PID].present);
	assert_string_equal(s2->ns[IB_NS_NET].path, "/var/run/netns/x");
	assert_string_equal(s2->hostname, "h");
	assert_null(strstr(out, "uidMappings"));
}

static void test_default_json(void **state)
{
	(void)state;
	ib_err err = {0};
	_cleanup_spec_ struct ib_spec *s = ib_spec_parse(ib_spec_default_json(), "/bundle", &err);

	if (!s)
		fail_msg("%s", err.msg);
	assert_string_equal(s->root_path, "/bundle/rootfs");
	assert_true(s->root_readonly);
	assert_non_null(s->process);
	assert_true(s->process->terminal);
	assert_string_equal(s->process->args[0], "sh");
	assert_null(s->process->args[1]);
	assert_string_equal(s->process->cwd, "/");
	uint64_t caps = (1ULL << 29) | (1ULL << 5) | (1ULL << 10);
	assert_int_equal(s->process->caps.bounding, caps);
	assert_int_equal(s->process->caps.effective, caps);
	assert_int_equal(s->process->caps.permitted, caps);
	assert_int_equal(s->process->n_rlimits, 1);
	assert_int_equal(s->process->rlimits[0].resource, RLIMIT_NOFILE);
	assert_int_equal(s->process->rlimits[0].soft, 1024);
	assert_true(s->process->no_new_privileges);
	assert_int_equal(s->n_mounts, 7);
	const char *dests[] = {"/proc",	      "/dev", "/dev/pts",      "/dev/shm",
			       "/dev/mqueue", "/sys", "/sys/fs/cgroup"};
	for (size_t i = 0; i < IB_ARRAY_SIZE(dests); i++)
		assert_string_equal(s->mounts[i].destination, dests[i]);
	assert_int_equal(s->mounts[5].flags, MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY);
	assert_string_equal(s->mounts[2].data, "newinstance,ptmxmode=0666,mode=0620,gid=5");
	assert_true(s->ns[IB_NS_PID].present);
	assert_true(s->ns[IB_NS_NET].present);
	assert_true(s->ns[IB_NS_IPC].present);
	assert_true(s->ns[IB_NS_UTS].present);
	assert_true(s->ns[IB_NS_MOUNT].present);
	assert_false(s->ns[IB_NS_USER].present);
	assert_true(ib_strv_len(s->masked_paths) >= 8);
	assert_true(ib_strv_len(s->readonly_paths) >= 5);
	assert_int_equal(s->resources.n_devices, 1);
	assert_false(s->resources.devices[0].allow);
}

static void test_process_parse(void **state)
{
	(void)state;
	ib_err err = {0};
	_cleanup_free_ char *text = J("{'terminal':true,'user':{'uid':5,'gid':6},'args':['ls'],"
				      "'cwd':'/tmp','env':['X=1'],'capabilities':{'bounding':"
				      "['CAP_KILL']}}");
	struct ib_process *p = ib_process_parse(text, &err);

	assert_non_null(p);
	assert_true(p->terminal);
	assert_int_equal(p->uid, 5);
	assert_string_equal(p->args[0], "ls");
	assert_true(p->has_caps);
	assert_int_equal(p->caps.bounding, 1ULL << 5);
	assert_false(p->has_umask);
	ib_process_free(p);
	ib_process_free(NULL);

	_cleanup_free_ char *bad = J("{'args':['ls'],'cwd':'tmp'}");
	assert_null(ib_process_parse(bad, &err));
	assert_string_equal(err.msg, "process.json: cwd: must be an absolute path, got \"tmp\"");
	assert_null(ib_process_parse("{", &err));
	assert_non_null(strstr(err.msg, "process.json: invalid JSON"));
	_cleanup_free_ char *bad2 = J("{'rlimits':[{'type':'X','soft':1,'hard':1}]}");
	assert_null(ib_process_parse(bad2, &err));
	assert_string_equal(err.msg, "process.json: rlimits[0].type: unknown rlimit \"X\"");
}

static void test_spec_load(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/ib-spec-test-XXXXXX";
	char *dir = mkdtemp(tmpl);
	ib_err err = {0};

	assert_non_null(dir);
	assert_null(ib_spec_load(dir, &err));
	_cleanup_free_ char *want =
	    ib_xasprintf("open %s/config.json: no such file or directory", dir);
	assert_string_equal(err.msg, want);
	assert_int_equal(err.code, ENOENT);

	_cleanup_free_ char *path = ib_xasprintf("%s/config.json", dir);
	const char *cfg = ib_spec_default_json();
	assert_int_equal(ib_write_file_atomic(path, cfg, strlen(cfg), 0644, &err), 0);
	struct ib_spec *s = ib_spec_load(dir, &err);
	if (!s)
		fail_msg("%s", err.msg);
	_cleanup_free_ char *root = ib_xasprintf("%s/rootfs", dir);
	assert_string_equal(s->root_path, root);
	assert_non_null(s->json);
	ib_spec_free(s);

	/* Relative bundle: root_path still absolute. */
	_cleanup_free_ char *cwd = getcwd(NULL, 0);
	assert_int_equal(chdir("/tmp"), 0);
	s = ib_spec_load(dir + strlen("/tmp/"), &err);
	assert_int_equal(chdir(cwd), 0);
	assert_non_null(s);
	assert_string_equal(s->root_path, root);
	ib_spec_free(s);

	unlink(path);
	rmdir(dir);
}

static void test_lookup_helpers(void **state)
{
	(void)state;
	const char *oci[] = {"pid", "network", "ipc", "uts", "mount", "user", "cgroup", "time"};
	const char *proc[] = {"pid", "net", "ipc", "uts", "mnt", "user", "cgroup", "time"};
	int flags[] = {CLONE_NEWPID, CLONE_NEWNET,  CLONE_NEWIPC,    CLONE_NEWUTS,
		       CLONE_NEWNS,  CLONE_NEWUSER, CLONE_NEWCGROUP, 0x80};

	for (int t = 0; t < IB_NS_COUNT; t++) {
		assert_string_equal(ib_ns_name(t), oci[t]);
		assert_string_equal(ib_ns_proc_name(t), proc[t]);
		assert_int_equal(ib_ns_clone_flag(t), flags[t]);
	}
	assert_null(ib_ns_name(IB_NS_COUNT));

	for (int c = 0; c <= 40; c++) {
		const char *n = ib_cap_name(c);
		assert_non_null(n);
		assert_int_equal(strncmp(n, "CAP_", 4), 0);
		assert_int_equal(ib_cap_from_name(n), c);
	}
	assert_null(ib_cap_name(41));
	assert_null(ib_cap_name(-1));
	assert_int_equal(ib_cap_from_name("CAP_SYS_ADMIN"), 21);
	assert_int_equal(ib_cap_from_name("CAP_BPF"), 39);
	assert_int_equal(ib_cap_from_name("CAP_CHECKPOINT_RESTORE"), 40);
	assert_int_equal(ib_cap_from_name("CAP_NOPE"), -1);
	assert_int_equal(ib_cap_from_name(NULL), -1);

	assert_int_equal(ib_rlimit_from_name("RLIMIT_NOFILE"), RLIMIT_NOFILE);
	assert_int_equal(ib_rlimit_from_name("RLIMIT_AS"), RLIMIT_AS);
	assert_int_equal(ib_rlimit_from_name("RLIMIT_RTTIME"), RLIMIT_RTTIME);
	assert_int_equal(ib_rlimit_from_name("RLIMIT_SIGPENDING"), RLIMIT_SIGPENDING);
	assert_int_equal(ib_rlimit_from_name("RLIMIT_MSGQUEUE"), RLIMIT_MSGQUEUE);
	assert_int_equal(ib_rlimit_from_name("NOFILE"), -1);

	assert_null(ib_spec_annotation(NULL, "x"));
	ib_spec_free(NULL);
}

static void test_numbers(void **state)
{
	(void)state;
	/* Integral doubles are accepted; fractions and overflow are not. */
	_cleanup_spec_ struct ib_spec *s =
	    parse_ok("'process':{'user':{'uid':1e3,'gid':0}},"
		     "'linux':{'resources':{'memory':{'limit':9223372036854775807}}}");
	assert_int_equal(s->process->uid, 1000);
	assert_true(s->resources.mem_limit == INT64_MAX);
	parse_fails("'linux':{'resources':{'memory':{'limit':9223372036854775808}}}",
		    "linux.resources.memory.limit: value out of range");
	parse_fails("'linux':{'resources':{'cpu':{'quota':0.5}}}",
		    "linux.resources.cpu.quota: expected an integer");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_docker_config),
	    cmocka_unit_test(test_minimal_without_process),
	    cmocka_unit_test(test_root_path_resolution),
	    cmocka_unit_test(test_version_and_root_errors),
	    cmocka_unit_test(test_mount_destination_errors),
	    cmocka_unit_test(test_mount_flags),
	    cmocka_unit_test(test_mount_recursive_attrs),
	    cmocka_unit_test(test_namespace_errors),
	    cmocka_unit_test(test_all_namespaces),
	    cmocka_unit_test(test_idmap_errors),
	    cmocka_unit_test(test_process_errors),
	    cmocka_unit_test(test_unknown_caps_warn),
	    cmocka_unit_test(test_hook_errors),
	    cmocka_unit_test(test_devices),
	    cmocka_unit_test(test_resources),
	    cmocka_unit_test(test_seccomp),
	    cmocka_unit_test(test_seccomp_errors),
	    cmocka_unit_test(test_linux_misc),
	    cmocka_unit_test(test_wrong_types),
	    cmocka_unit_test(test_null_fields_are_absent),
	    cmocka_unit_test(test_malformed_json),
	    cmocka_unit_test(test_to_json_roundtrip),
	    cmocka_unit_test(test_to_json_without_linux),
	    cmocka_unit_test(test_default_json),
	    cmocka_unit_test(test_process_parse),
	    cmocka_unit_test(test_spec_load),
	    cmocka_unit_test(test_lookup_helpers),
	    cmocka_unit_test(test_numbers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
