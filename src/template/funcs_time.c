/* funcs_time.c - Go's time layouts (Format and Parse with "2006-01-02T15:04:05Z07:00"-style
 * layouts), sprig's date functions (now, date, dateInZone, unixEpoch, duration, ago, toDate)
 * and step's formatTime, toTime, parseTime, mustParseTime, toTimeLayout.
 *
 * Times carry a fixed offset; the only named zones are UTC and Local, which is UTC here (the
 * CA runs in UTC). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/duration.h"
#include "template/tpl_internal.h"

#define ZERO_TIME_UNIX INT64_C(-62135596800) /* 0001-01-01T00:00:00Z, Go's zero time */

static struct val now_utc(void)
{
	int64_t ns = time_now_ns();
	struct val t = {.k = V_TIME};

	t.i = ns / NS_PER_SEC;
	t.nsec = (int32_t)(ns % NS_PER_SEC);
	return t;
}

static struct val unix_time(int64_t s)
{
	struct val t = {.k = V_TIME};

	t.i = s;
	return t;
}

static int ret_fmt(struct exec *st, const struct val *t, const char *layout, struct val *res)
{
	struct buf b;
	struct error e = {0};

	buf_init(&b, 4096);
	if (time_format_go(&b, t, layout, &e)) {
		buf_free(&b);
		return exec_fn_err(st, "%s", e.msg);
	}
	int r = val_str(res, b.data ? (const char *)b.data : "", b.len);
	buf_free(&b);
	return r ? exec_fn_err(st, "out of memory") : 0;
}

/* step's toTime: a time, or Unix seconds (int or JSON number) in UTC; anything else is now. */
static struct val to_time(const struct val *v)
{
	struct val t;

	if (v->k == V_TIME)
		t = *v;
	else if (v->k == V_INT)
		t = unix_time(v->i);
	else if (v->k == V_FLOAT && v->f > -9.2e18 && v->f < 9.2e18)
		t = unix_time((int64_t)v->f);
	else
		t = now_utc();
	t.j = NULL;
	t.off = 0;
	return t;
}

static int fn_toTime(struct exec *st, struct val *a, size_t n, struct val *res)
{
	(void)st;
	if (n == 0) {
		*res = now_utc();
		return 0;
	}
	*res = to_time(&a[0]);
	return 0;
}

static int fn_formatTime(struct exec *st, struct val *a, size_t n, struct val *res)
{
	struct val t = n ? to_time(&a[0]) : now_utc();

	return ret_fmt(st, &t, "2006-01-02T15:04:05Z07:00", res);
}

static const char *layout_of(const char *name)
{
	static const struct {
		const char *n, *l;
	} tab[] = {
	    {"Layout", "01/02 03:04:05PM '06 -0700"},
	    {"ANSIC", "Mon Jan _2 15:04:05 2006"},
	    {"UnixDate", "Mon Jan _2 15:04:05 MST 2006"},
	    {"RubyDate", "Mon Jan 02 15:04:05 -0700 2006"},
	    {"RFC822", "02 Jan 06 15:04 MST"},
	    {"RFC822Z", "02 Jan 06 15:04 -0700"},
	    {"RFC850", "Monday, 02-Jan-06 15:04:05 MST"},
	    {"RFC1123", "Mon, 02 Jan 2006 15:04:05 MST"},
	    {"RFC1123Z", "Mon, 02 Jan 2006 15:04:05 -0700"},
	    {"RFC3339", "2006-01-02T15:04:05Z07:00"},
	    {"RFC3339Nano", "2006-01-02T15:04:05.999999999Z07:00"},
	    {"Kitchen", "3:04PM"},
	    {"Stamp", "Jan _2 15:04:05"},
	    {"StampMilli", "Jan _2 15:04:05.000"},
	    {"StampMicro", "Jan _2 15:04:05.000000"},
	    {"StampNano", "Jan _2 15:04:05.000000000"},
	    {"DateTime", "2006-01-02 15:04:05"},
	    {"DateOnly", "2006-01-02"},
	    {"TimeOnly", "15:04:05"},
	};
	const char *k = strncmp(name, "time.", 5) == 0 ? name + 5 : name;

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcmp(tab[i].n, k) == 0)
			return tab[i].l;
	return name;
}

static int fn_toTimeLayout(struct exec *st, struct val *a, size_t n, struct val *res)
{
	const char *l = layout_of(val_strp(&a[0], NULL));

	(void)n;
	return val_str(res, l, strlen(l)) ? exec_fn_err(st, "out of memory") : 0;
}

static int parse_time(struct exec *st, struct val *a, size_t n, struct val *res, bool must)
{
	struct error e = {0};
	const char *layout = "2006-01-02T15:04:05Z07:00", *value;

	for (size_t i = 0; i < n; i++)
		if (a[i].k != V_STR)
			return exec_fn_err(st, "wrong type for value; expected string; got %s",
					   val_type(&a[i]));
	if (n == 0) {
		*res = now_utc();
		return 0;
	}
	value = val_strp(&a[n == 1 ? 0 : 1], NULL);
	if (n >= 2)
		layout = layout_of(val_strp(&a[0], NULL));
	if (n == 3) {
		const char *z = val_strp(&a[2], NULL);
		if (strcmp(z, "UTC") != 0 && strcmp(z, "Local") != 0 && z[0] != '\0') {
			if (must)
				return exec_fn_err(st, "unknown time zone %s", z);
			*res = unix_time(ZERO_TIME_UNIX);
			return 0;
		}
	}
	if (n > 3) {
		if (must)
			return exec_fn_err(st, "unsupported number of parameters");
		*res = unix_time(ZERO_TIME_UNIX);
		return 0;
	}
	if (strlen(layout) > 256 || strlen(value) > 256 || time_parse_go(layout, value, res, &e)) {
		if (must)
			return exec_fn_err(st, "%s", e.msg[0] ? e.msg : "time too long");
		*res = unix_time(ZERO_TIME_UNIX);
	}
	return 0;
}

static int fn_parseTime(struct exec *st, struct val *a, size_t n, struct val *r)
{
	return parse_time(st, a, n, r, false);
}
static int fn_mustParseTime(struct exec *st, struct val *a, size_t n, struct val *r)
{
	return parse_time(st, a, n, r, true);
}

static int fn_now(struct exec *st, struct val *a, size_t n, struct val *res)
{
	(void)st, (void)a, (void)n;
	*res = now_utc();
	return 0;
}

/* sprig's date: a time or Unix seconds given as an int; anything else (a JSON number too)
 * means now. */
static struct val sprig_date(const struct val *v)
{
	if (v->k == V_TIME)
		return *v;
	if (v->k == V_INT)
		return unix_time(v->i);
	return now_utc();
}

static int fn_date(struct exec *st, struct val *a, size_t n, struct val *res)
{
	struct val t = sprig_date(&a[1]);

	(void)n;
	if (a[0].k != V_STR)
		return exec_fn_err(st, "wrong type for value; expected string; got %s",
				   val_type(&a[0]));
	if (val_len(&a[0]) > 256)
		return exec_fn_err(st, "layout too long");
	t.off = 0;
	return ret_fmt(st, &t, val_strp(&a[0], NULL), res);
}

static int fn_dateInZone(struct exec *st, struct val *a, size_t n, struct val *res)
{
	return fn_date(st, a, n, res);
}

static int fn_unixEpoch(struct exec *st, struct val *a, size_t n, struct val *res)
{
	char s[32];

	(void)n;
	if (a[0].k != V_TIME)
		return exec_fn_err(st, "wrong type for value; expected time.Time; got %s",
				   val_type(&a[0]));
	int l = snprintf(s, sizeof(s), "%lld", (long long)a[0].i);
	return val_str(res, s, (size_t)l) ? exec_fn_err(st, "out of memory") : 0;
}

static int fn_duration(struct exec *st, struct val *a, size_t n, struct val *res)
{
	int64_t secs = 0;
	char s[64];

	(void)n;
	if (a[0].k == V_STR || a[0].k == V_INT)
		secs = val_to_i64(&a[0]);
	if (secs > INT64_MAX / NS_PER_SEC || secs < INT64_MIN / NS_PER_SEC)
		secs = 0;
	duration_format(secs * NS_PER_SEC, s, sizeof(s));
	return val_str(res, s, strlen(s)) ? exec_fn_err(st, "out of memory") : 0;
}

static int fn_ago(struct exec *st, struct val *a, size_t n, struct val *res)
{
	struct val t = sprig_date(&a[0]), now = now_utc();
	char s[64];

	(void)n;
	int64_t d = now.i - t.i;
	if (d > INT64_MAX / NS_PER_SEC || d < INT64_MIN / NS_PER_SEC)
		d = 0;
	duration_format(d * NS_PER_SEC, s, sizeof(s));
	return val_str(res, s, strlen(s)) ? exec_fn_err(st, "out of memory") : 0;
}

static int fn_toDate(struct exec *st, struct val *a, size_t n, struct val *res)
{
	struct error e = {0};

	(void)n;
	if (a[0].k != V_STR || a[1].k != V_STR)
		return exec_fn_err(st, "wrong type for value; expected string; got %s",
				   val_type(a[0].k != V_STR ? &a[0] : &a[1]));
	if (val_len(&a[0]) > 256 || val_len(&a[1]) > 256 ||
	    time_parse_go(val_strp(&a[0], NULL), val_strp(&a[1], NULL), res, &e))
		*res = unix_time(ZERO_TIME_UNIX);
	return 0;
}

const struct fn_def tpl_fns_time[] = {
    {"toTime", fn_toTime, 0, 1},
    {"formatTime", fn_formatTime, 0, 1},
    {"toTimeLayout", fn_toTimeLayout, 1, 1},
    {"parseTime", fn_parseTime, 0, -1},
    {"mustParseTime", fn_mustParseTime, 0, -1},
    {"now", fn_now, 0, 0},
    {"date", fn_date, 2, 2},
    {"dateInZone", fn_dateInZone, 3, 3},
    {"unixEpoch", fn_unixEpoch, 1, 1},
    {"duration", fn_duration, 1, 1},
    {"ago", fn_ago, 1, 1},
    {"toDate", fn_toDate, 2, 2},
    {NULL, NULL, 0, 0},
};
