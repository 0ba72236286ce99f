/* test_presets.c - the built-in presets as data: every rule names an
 * operation of the route table, every preset says where its list came
 * from, read-only clients get only reads, and no preset grants what none
 * of its clients calls (archive, export, tunnels, Swarm, plugins, ...).
 * Whether a client really works with its preset is tested against the
 * daemon in tests/integ/test_presets.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rows.h"

#include "presets.h"
#include "route.h"

static bool operation_exists(const char *operation)
{
	for (size_t i = 0; i < route_table_len; i++)
		if (strcmp(route_table[i].operation, operation) == 0)
			return true;
	return false;
}

static bool preset_allows(const struct preset *p, const char *operation)
{
	for (const char *const *rule = p->allow; *rule != NULL; rule++)
		if (strcmp(*rule, operation) == 0)
			return true;
	return false;
}

static void test_well_formed(void **state)
{
	const struct preset *p = *state;

	assert_non_null(p->name);
	assert_true(strlen(p->name) > 0 && strlen(p->name) < 48);
	assert_true(p->client != NULL && strlen(p->client) > 0);
	/* A source names a repository and a file or a reference. */
	assert_true(p->source != NULL && strchr(p->source, '/') != NULL);
	assert_non_null(p->allow);
	assert_non_null(p->allow[0]);
	for (const char *const *rule = p->allow; *rule != NULL; rule++) {
		if (!operation_exists(*rule))
			fail_msg("preset %s: \"%s\" is no operation of the route table", p->name, *rule);
		for (const char *const *other = rule + 1; *other != NULL; other++)
			if (strcmp(*rule, *other) == 0)
				fail_msg("preset %s names %s twice", p->name, *rule);
	}
	assert_ptr_equal(preset_find(p->name), p);
}

/* Clients that only read: every route their operations name is a GET or
 * a HEAD. */
static const char *const read_only[] = {
	"ping", "traefik", "homepage", "dozzle", "netdata", "uptime-kuma", "wud", "diun",
};

static void test_read_only(void **state)
{
	const struct preset *p = preset_find(*state);

	assert_non_null(p);
	for (size_t i = 0; i < route_table_len; i++) {
		const struct route *r = &route_table[i];
		if (preset_allows(p, r->operation) && r->method != ROUTE_GET && r->method != ROUTE_HEAD)
			fail_msg("read-only preset %s allows %s %s (%s)", p->name,
				 route_method_name(r->method), r->path, r->operation);
	}
}

/* What no preset's client calls: copying files in or out, whole
 * filesystems, tunnels, the cluster, plugins, credentials, debug. */
static const char *const never_granted[] = {
	"ContainerArchive", "ContainerArchiveInfo", "PutContainerArchive", "ContainerExport",
	"ContainerChanges", "ContainerAttachWebsocket", "ContainerPrune", "ImagePrune",
	"VolumePrune", "NetworkPrune", "BuildPrune", "Session", "Grpc", "SystemAuth",
	"SwarmInit", "SwarmJoin", "SwarmUnlockkey", "ServiceCreate", "SecretList",
	"SecretCreate", "ConfigList", "PluginPull", "PluginCreate", "PluginEnable",
	"PluginSet", "DebugVars", "DebugPprofIndex", "DebugPprofProfile",
	"ContainerCopy", "CheckpointCreate", "SystemDataUsage", "DistributionInspect",
};

static void test_never_granted(void **state)
{
	const struct preset *p = *state;

	for (size_t i = 0; i < N_ROWS(never_granted); i++)
		if (preset_allows(p, never_granted[i]))
			fail_msg("preset %s allows %s", p->name, never_granted[i]);
}

/* Root-equivalent grants, and the only presets whose clients need them. */
struct grant_row {
	const char *name;
	const char *operation;
	const char *const holders[4]; /* the presets that may allow it */
};

static struct grant_row grant_rows[] = {
	{ "container create", "ContainerCreate", { "portainer", "watchtower", "ci-runner" } },
	{ "exec create", "ContainerExec", { "portainer", "ci-runner" } },
	{ "exec start", "ExecStart", { "portainer", "ci-runner" } },
	{ "attach", "ContainerAttach", { "portainer", "ci-runner" } },
	{ "build", "ImageBuild", { "portainer" } },
	{ "image load", "ImageLoad", { "portainer", "ci-runner" } },
	{ "commit", "ImageCommit", { "portainer" } },
	{ "container update", "ContainerUpdate", { "portainer" } },
	{ "volume create", "VolumeCreate", { "portainer", "ci-runner" } },
	{ "container logs", "ContainerLogs", { "portainer", "dozzle", "ci-runner" } },
	{ "container top", "ContainerTop", { "portainer" } },
};

static void test_grant(void **state)
{
	const struct grant_row *row = *state;

	for (size_t i = 0; i < n_presets; i++) {
		bool may = false;
		for (size_t h = 0; h < N_ROWS(row->holders) && row->holders[h] != NULL; h++)
			may = may || strcmp(presets[i].name, row->holders[h]) == 0;
		if (!may && preset_allows(&presets[i], row->operation))
			fail_msg("preset %s allows %s", presets[i].name, row->operation);
	}
	assert_true(operation_exists(row->operation));
}

/* The names the design promises, and none besides that is unknown. */
static const char *const promised[] = {
	"ping", "traefik", "portainer", "watchtower", "homepage", "dozzle", "netdata",
	"ci-runner", "uptime-kuma", "wud", "diun", "autoheal",
};

static void test_lookup(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ROWS(promised); i++)
		if (preset_find(promised[i]) == NULL)
			fail_msg("no preset %s", promised[i]);
	assert_int_equal(n_presets, N_ROWS(promised));
	assert_null(preset_find("Traefik"));  /* names are exact */
	assert_null(preset_find("traefik "));
	assert_null(preset_find(""));
	assert_null(preset_find("env"));      /* "extends: env" is not a preset */
}

int main(void)
{
	for (size_t i = 0; i < n_presets; i++) {
		/* rows_add takes a mutable state; the test only reads it. */
		void *p = (void *)(uintptr_t)&presets[i];
		rows_add(test_well_formed, p, "well formed", presets[i].name);
		rows_add(test_never_granted, p, "never granted", presets[i].name);
	}
	for (size_t i = 0; i < N_ROWS(read_only); i++)
		rows_add(test_read_only, (void *)(uintptr_t)read_only[i], "read only", read_only[i]);
	ROWS_ADD_EACH(test_grant, grant_rows, "grant");
	rows_add(test_lookup, NULL, "lookup", "every promised name");
	return rows_run("presets");
}
