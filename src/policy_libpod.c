/* policy_libpod.c - linuxserver/docker-socket-proxy's LIBPOD_* switches
 * and the settings as the /libpod rule family sees them; see
 * policy_libpod.h. */
#include "policy_libpod.h"

#include <stdio.h>
#include <string.h>

/* linuxserver/docker-socket-proxy's root/templates/haproxy.cfg: each
 * section opens ^(/v[\d.]+)?/libpod/<segment> after its method rule
 * (GET, or POST=1), each grant ^(/v[\d.]+)?/libpod/(containers|pods)/
 * [a-zA-Z0-9_.-]+/<action> before it. Its image turns LIBPOD_PING and
 * LIBPOD_VERSION on; here every one is off, as the seed contract has no
 * libpod at all. */
const struct policy_libpod_switch policy_libpod_switches[] = {
	{ "LIBPOD_CONTAINERS", POLICY_LP_TWIN, "containers", NULL },
	{ "LIBPOD_EVENTS", POLICY_LP_TWIN, "events", NULL },
	{ "LIBPOD_EXEC", POLICY_LP_TWIN, "exec", NULL },
	{ "LIBPOD_IMAGES", POLICY_LP_TWIN, "images", NULL },
	{ "LIBPOD_INFO", POLICY_LP_TWIN, "info", NULL },
	{ "LIBPOD_NETWORKS", POLICY_LP_TWIN, "networks", NULL },
	{ "LIBPOD_PING", POLICY_LP_TWIN, "_ping", NULL },
	{ "LIBPOD_SECRETS", POLICY_LP_TWIN, "secrets", NULL },
	{ "LIBPOD_SYSTEM", POLICY_LP_TWIN, "system", NULL },
	{ "LIBPOD_VERSION", POLICY_LP_TWIN, "version", NULL },
	{ "LIBPOD_VOLUMES", POLICY_LP_TWIN, "volumes", NULL },
	/* Podman's own: POST /libpod/pods/create takes the pod's namespaces
	 * (host network, PID) and its infra container's mounts; play kube
	 * creates pods and containers from a Kubernetes YAML, host paths and
	 * privileged ones included; generate hands out containers' whole
	 * configuration, environment included. */
	{ "LIBPOD_PODS", POLICY_LP_ONLY, "pods",
	  "with POST=1, creating pods that share the host's namespaces: root-equivalent" },
	{ "LIBPOD_PLAY", POLICY_LP_ONLY, "play",
	  "with POST=1, play kube creates containers from YAML, host paths and privileged "
	  "ones included: root-equivalent" },
	{ "LIBPOD_GENERATE", POLICY_LP_ONLY, "generate",
	  "kube and systemd units of any container, its environment (often secrets) included" },
	{ "LIBPOD_MANIFESTS", POLICY_LP_ONLY, "manifests", NULL },
	{ "LIBPOD_ALLOW_START", POLICY_LP_GRANT, "ALLOW_START", NULL },
	{ "LIBPOD_ALLOW_STOP", POLICY_LP_GRANT, "ALLOW_STOP", NULL },
	{ "LIBPOD_ALLOW_RESTARTS", POLICY_LP_GRANT, "ALLOW_RESTARTS", NULL },
	{ "LIBPOD_ALLOW_PAUSE", POLICY_LP_GRANT, "ALLOW_PAUSE", NULL },
	{ "LIBPOD_ALLOW_UNPAUSE", POLICY_LP_GRANT, "ALLOW_UNPAUSE", NULL },
	{ "LIBPOD_ALLOW_POD_START", POLICY_LP_POD_GRANT, "ALLOW_START", NULL },
	{ "LIBPOD_ALLOW_POD_STOP", POLICY_LP_POD_GRANT, "ALLOW_STOP", NULL },
	{ "LIBPOD_ALLOW_POD_RESTARTS", POLICY_LP_POD_GRANT, "ALLOW_RESTARTS", NULL },
	{ "LIBPOD_ALLOW_POD_PAUSE", POLICY_LP_POD_GRANT, "ALLOW_PAUSE", NULL },
	{ "LIBPOD_ALLOW_POD_UNPAUSE", POLICY_LP_POD_GRANT, "ALLOW_UNPAUSE", NULL },
};
const size_t policy_n_libpod_switches =
	sizeof policy_libpod_switches / sizeof policy_libpod_switches[0];

/* The LIBPOD_* switch of kind named name (a segment, or the Docker
 * switch a grant mirrors), or NULL. */
const struct policy_libpod_switch *policy_libpod_find(enum policy_libpod_kind kind,
						      const char *name)
{
	for (size_t i = 0; i < policy_n_libpod_switches; i++)
		if (policy_libpod_switches[i].kind == kind &&
		    strcmp(policy_libpod_switches[i].name, name) == 0)
			return &policy_libpod_switches[i];
	return NULL;
}

/* The setting of the switch of kind named name when s turns it on, or NULL. */
const char *policy_libpod_on(const struct policy_settings *s, enum policy_libpod_kind kind,
			     const char *name)
{
	const struct policy_libpod_switch *w = policy_libpod_find(kind, name);
	return w != NULL && s->libpod_on[w - policy_libpod_switches] ? w->setting : NULL;
}

/* True when s has any /libpod rule to make: LIBPOD or a LIBPOD_* switch. */
bool policy_libpod_any(const struct policy_settings *s)
{
	bool on = s->libpod;
	for (size_t i = 0; i < policy_n_libpod_switches; i++)
		on = on || s->libpod_on[i];
	return on;
}

/* The settings as the /libpod family sees them: a section is on with
 * LIBPOD=1 and its Docker section, or with its LIBPOD_<SECTION> alone;
 * everything else (POST, gates, methods) is the Docker side's. */
void policy_libpod_view(const struct policy_settings *s, struct policy_settings *view)
{
	*view = *s;
	for (size_t i = 0; i < policy_n_sections; i++)
		view->section_on[i] = (s->libpod && s->section_on[i]) ||
				      policy_libpod_on(s, POLICY_LP_TWIN, policy_sections[i].segment);
}

/* The switch among the LIBPOD_ALLOW_* of kind (containers' or pods')
 * that grants the action, or NULL: as policy.c's lifecycle_switch() for
 * the Docker switch each mirrors. */
const char *policy_libpod_grant(const struct policy_settings *s, enum policy_libpod_kind kind,
				enum policy_cond action)
{
	const char *stop = policy_libpod_on(s, kind, "ALLOW_STOP");
	switch (action) {
	case POLICY_COND_START:
		return policy_libpod_on(s, kind, "ALLOW_START");
	case POLICY_COND_STOP:
		return stop ? stop : policy_libpod_on(s, kind, "ALLOW_RESTARTS");
	case POLICY_COND_RESTART:
	case POLICY_COND_KILL:
		return policy_libpod_on(s, kind, "ALLOW_RESTARTS");
	case POLICY_COND_PAUSE:
		return policy_libpod_on(s, kind, "ALLOW_PAUSE");
	case POLICY_COND_UNPAUSE:
		return policy_libpod_on(s, kind, "ALLOW_UNPAUSE");
	default:
		return NULL;
	}
}

/* Appends to out (cap bytes) ", or only <switches>" for a lifecycle action
 * that docker_switch ("ALLOW_START") grants on Docker paths: with LIBPOD=1
 * it grants the /libpod twin too, and LIBPOD_<switch> grants the twin
 * alone. */
void policy_libpod_alternative(const struct policy_settings *s, bool is_libpod,
			       bool need_libpod, const char *docker_switch, char *out,
			       size_t cap)
{
	const struct policy_libpod_switch *own = policy_libpod_find(POLICY_LP_GRANT, docker_switch);
	if (!is_libpod || s->libpod)
		snprintf(out, cap, ", or only %s=1", docker_switch);
	else if (need_libpod)
		snprintf(out, cap, ", or only LIBPOD=1 and %s=1, or %s=1", docker_switch,
			 own->setting);
	else
		snprintf(out, cap, ", or only %s=1", own->setting);
}

