/* linkedca_admin.c - the admin API's JSON forms of an admin (admin.md §4.1). */
#include "base/duration.h"
#include "config/linkedca.h"
#include "config/linkedca_int.h"

#define ZERO_UUID "00000000-0000-0000-0000-000000000000"
/* Seconds of Go's zero time (0001-01-01T00:00:00Z) since the epoch. */
#define GO_ZERO_SECONDS INT64_C(-62135596800)

const char *linkedca_admin_type_name(int type)
{
	switch (type) {
	case LINKEDCA_ADMIN:
		return "ADMIN";
	case LINKEDCA_SUPER_ADMIN:
		return "SUPER_ADMIN";
	default:
		return "UNKNOWN";
	}
}

/* Sets obj[key] to s unless it is NULL or empty (protobuf omits empty strings). */
static void set_str(json_t *obj, const char *key, const char *s)
{
	if (s != NULL && s[0] != '\0')
		json_object_set_new(obj, key, json_string(s));
}

json_t *linkedca_admin_p(const char *id, const char *subject, const char *provisioner_id, int type,
			 int64_t created_at_ns)
{
	json_t *o = json_object();
	char when[64];

	set_str(o, "id", id);
	set_str(o, "authorityId", ZERO_UUID);
	set_str(o, "subject", subject);
	set_str(o, "provisionerId", provisioner_id);
	/* protobuf-JSON: known enum values by name, others by number, zero omitted */
	if (type == LINKEDCA_ADMIN || type == LINKEDCA_SUPER_ADMIN)
		json_object_set_new(o, "type", json_string(linkedca_admin_type_name(type)));
	else if (type != 0)
		json_object_set_new(o, "type", json_integer(type));
	if (created_at_ns != 0)
		json_object_set_new(o, "createdAt",
				    json_string(lc_timestamp(created_at_ns, when, sizeof(when))));
	return o;
}

/* A google.protobuf.Timestamp as Go's encoding/json writes it: {"seconds":N[,"nanos":N]}. */
static json_t *go_timestamp(int64_t t_ns)
{
	int64_t sec = t_ns / NS_PER_SEC, nanos = t_ns % NS_PER_SEC;
	json_t *o = json_object();

	if (nanos < 0) {
		nanos += NS_PER_SEC;
		sec--;
	}
	if (sec != 0)
		json_object_set_new(o, "seconds", json_integer(sec));
	if (nanos != 0)
		json_object_set_new(o, "nanos", json_integer(nanos));
	return o;
}

json_t *linkedca_admin_j(const char *id, const char *subject, const char *provisioner_id, int type,
			 int64_t created_at_ns)
{
	json_t *o = json_object(), *deleted;

	set_str(o, "id", id);
	set_str(o, "authority_id", ZERO_UUID);
	set_str(o, "subject", subject);
	set_str(o, "provisioner_id", provisioner_id);
	if (type != 0)
		json_object_set_new(o, "type", json_integer(type));
	if (created_at_ns != 0)
		json_object_set_new(o, "created_at", go_timestamp(created_at_ns));
	deleted = json_object();
	json_object_set_new(deleted, "seconds", json_integer(GO_ZERO_SECONDS));
	json_object_set_new(o, "deleted_at", deleted);
	return o;
}
