/* compare.c - a cfssl run set against the stride-ca run it follows (--compare): per pair of
 * scenarios of the same kind and concurrency, the ratios stride / cfssl of server CPU per
 * request, requests per second and p99 latency. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

/* What one side of a pair measured. */
struct side {
	const char *name;
	double cpu_ms, rps, p99_ms;
};

/* A cfssl scenario and the stride-ca scenario it is compared with. */
struct pair {
	struct side stride, cfssl;
};

/* The stride-ca kind a cfssl kind mirrors. */
static const char *stride_kind(enum scen_kind k)
{
	return k == SCEN_CFSSL_SIGN ? "sign" : k == SCEN_CFSSL_SIGN_NEWCONN ? "sign-newconn" : NULL;
}

static double ratio(double a, double b)
{
	return b > 0 ? a / b : 0;
}

/* Fills p for cfssl result r from the first stride-ca scenario of the matching kind and
 * concurrency that had successes in rep->compare (a soak run later in the list is not taken).
 * False when there is none. */
static bool find_pair(const struct report *rep, const struct scen_result *r, struct pair *p)
{
	const char *want = stride_kind(r->spec.kind);
	json_t *scen = json_object_get(rep->compare, "scenarios");
	size_t i;
	json_t *s;

	if (want == NULL || r->ok == 0)
		return false;
	json_array_foreach(scen, i, s)
	{
		const char *kind = json_string_value(json_object_get(s, "kind"));
		if (kind == NULL || strcmp(kind, want) != 0 ||
		    json_integer_value(json_object_get(s, "concurrency")) != r->spec.conc ||
		    json_integer_value(json_object_get(s, "ok")) <= 0)
			continue;
		p->stride = (struct side){
		    .name = json_string_value(json_object_get(s, "name")),
		    .cpu_ms = json_number_value(
			json_object_get(json_object_get(s, "server"), "cpu_ms_per_request")),
		    .rps = json_number_value(json_object_get(s, "requests_per_s")),
		    .p99_ms =
			json_number_value(json_object_get(json_object_get(s, "latency_ms"), "p99")),
		};
		if (p->stride.name == NULL)
			p->stride.name = want;
		p->cfssl = (struct side){.name = r->spec.name,
					 .cpu_ms = r->srv_cpu_ms_per_req,
					 .rps = r->rps,
					 .p99_ms = r->p99_ms};
		return true;
	}
	return false;
}

static const char *stride_run_of(const struct report *rep)
{
	const char *at = json_string_value(json_object_get(rep->compare, "started_at"));

	return at != NULL ? at : "?";
}

void compare_print(const struct report *rep)
{
	struct pair p;
	bool any = false;

	if (rep->compare == NULL)
		return;
	for (int i = 0; i < rep->nres; i++) {
		if (!find_pair(rep, &rep->res[i], &p))
			continue;
		if (!any)
			printf("\nstride-ca (run of %s) / cfssl, same load generator; below 1x for "
			       "CPU and p99 and above 1x for req/s is stride ahead:\n",
			       stride_run_of(rep));
		any = true;
		printf("%s: stride %.3f ms vs cfssl %.3f ms CPU/req (%.2fx), %.0f vs %.0f req/s "
		       "(%.2fx), p99 %.2f vs %.2f ms (%.2fx)\n",
		       p.stride.name, p.stride.cpu_ms, p.cfssl.cpu_ms,
		       ratio(p.stride.cpu_ms, p.cfssl.cpu_ms), p.stride.rps, p.cfssl.rps,
		       ratio(p.stride.rps, p.cfssl.rps), p.stride.p99_ms, p.cfssl.p99_ms,
		       ratio(p.stride.p99_ms, p.cfssl.p99_ms));
	}
	if (!any)
		printf("\nno stride-ca scenario in the --compare file matches these\n");
}

void compare_md(FILE *o, const struct report *rep)
{
	struct pair p;
	bool any = false;

	if (rep->compare == NULL)
		return;
	for (int i = 0; i < rep->nres; i++) {
		if (!find_pair(rep, &rep->res[i], &p))
			continue;
		if (!any)
			fprintf(
			    o,
			    "\nAgainst the stride-ca run of %s (%s), same load generator; the "
			    "ratios are stride / cfssl:\n\n| scenario | stride CPU ms/req | cfssl "
			    "CPU ms/req | ratio | stride req/s | cfssl req/s | ratio | stride p99 "
			    "ms | cfssl p99 ms | ratio |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
			    "\n",
			    stride_run_of(rep),
			    json_string_value(json_object_get(rep->compare, "note")) != NULL
				? json_string_value(json_object_get(rep->compare, "note"))
				: "");
		any = true;
		fprintf(
		    o, "| %s | %.3f | %.3f | %.2f× | %.0f | %.0f | %.2f× | %.2f | %.2f | %.2f× |\n",
		    p.stride.name, p.stride.cpu_ms, p.cfssl.cpu_ms,
		    ratio(p.stride.cpu_ms, p.cfssl.cpu_ms), p.stride.rps, p.cfssl.rps,
		    ratio(p.stride.rps, p.cfssl.rps), p.stride.p99_ms, p.cfssl.p99_ms,
		    ratio(p.stride.p99_ms, p.cfssl.p99_ms));
	}
}

static json_t *side_json(const struct side *s)
{
	return json_pack("{s:s, s:f, s:f, s:f}", "name", s->name, "cpu_ms_per_request", s->cpu_ms,
			 "requests_per_s", s->rps, "p99_ms", s->p99_ms);
}

json_t *compare_json(const struct report *rep)
{
	json_t *out = json_array();
	struct pair p;

	for (int i = 0; rep->compare != NULL && i < rep->nres; i++) {
		if (!find_pair(rep, &rep->res[i], &p))
			continue;
		json_array_append_new(
		    out,
		    json_pack("{s:s, s:o, s:o, s:f, s:f, s:f}", "stride_run", stride_run_of(rep),
			      "stride", side_json(&p.stride), "cfssl", side_json(&p.cfssl),
			      "ratio_cpu_per_request", ratio(p.stride.cpu_ms, p.cfssl.cpu_ms),
			      "ratio_requests_per_s", ratio(p.stride.rps, p.cfssl.rps), "ratio_p99",
			      ratio(p.stride.p99_ms, p.cfssl.p99_ms)));
	}
	return out;
}
