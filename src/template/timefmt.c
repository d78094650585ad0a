/* timefmt.c - Go's time layouts: Time.Format and time.Parse with reference-time layouts
 * ("2006-01-02T15:04:05Z07:00", "Mon Jan _2 15:04:05 MST 2006", fractions, numeric zones),
 * over times with a fixed offset. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "template/tpl_internal.h"

static const char *const months[] = {"January",	  "February", "March",	  "April",
				     "May",	  "June",     "July",	  "August",
				     "September", "October",  "November", "December"};
static const char *const wdays[] = {"Sunday",	"Monday", "Tuesday", "Wednesday",
				    "Thursday", "Friday", "Saturday"};

/* days since 1970-01-01 -> civil date (Howard Hinnant's algorithm) */
static void civil(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

struct tm_go {
	int64_t year;
	int mon, day, hour, min, sec, wday, yday;
};

static void breakdown(const struct val *t, struct tm_go *g)
{
	/* far beyond any certificate: clamp so that the arithmetic cannot overflow */
	int64_t s = t->i > INT64_C(1) << 50	 ? INT64_C(1) << 50
		    : t->i < -(INT64_C(1) << 50) ? -(INT64_C(1) << 50)
						 : t->i;
	s += t->off;
	int64_t days = s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
	int64_t rem = s - days * 86400;

	civil(days, &g->year, &g->mon, &g->day);
	g->hour = (int)(rem / 3600);
	g->min = (int)(rem / 60 % 60);
	g->sec = (int)(rem % 60);
	g->wday = (int)(((days % 7) + 11) % 7); /* 1970-01-01 was a Thursday */
	g->yday = (int)(days - days_from_civil(g->year, 1, 1)) + 1;
}

enum std {
	S_NONE,
	S_LONGMONTH,
	S_MONTH,
	S_NUMMONTH,
	S_ZEROMONTH,
	S_LONGWEEKDAY,
	S_WEEKDAY,
	S_DAY,
	S_UNDERDAY,
	S_ZERODAY,
	S_UNDERYDAY,
	S_ZEROYDAY,
	S_HOUR,
	S_HOUR12,
	S_ZEROHOUR12,
	S_MINUTE,
	S_ZEROMINUTE,
	S_SECOND,
	S_ZEROSECOND,
	S_LONGYEAR,
	S_YEAR,
	S_PM,
	S_pm,
	S_TZ,
	S_ISO_SS,
	S_ISO_COLON_SS,
	S_ISO,
	S_ISO_COLON,
	S_ISO_SHORT,
	S_NUM_SS,
	S_NUM_COLON_SS,
	S_NUM,
	S_NUM_COLON,
	S_NUM_SHORT,
	S_FRAC0,
	S_FRAC9,
};

static bool pre(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* The std chunk at layout l (length *len), S_NONE for a literal byte; *frac digits. */
static enum std chunk(const char *l, size_t *len, int *frac)
{
	static const struct {
		const char *p;
		enum std s;
	} tab[] = {
	    {"January", S_LONGMONTH},
	    {"Jan", S_MONTH},
	    {"Monday", S_LONGWEEKDAY},
	    {"Mon", S_WEEKDAY},
	    {"MST", S_TZ},
	    {"002", S_ZEROYDAY},
	    {"01", S_ZEROMONTH},
	    {"02", S_ZERODAY},
	    {"03", S_ZEROHOUR12},
	    {"04", S_ZEROMINUTE},
	    {"05", S_ZEROSECOND},
	    {"06", S_YEAR},
	    {"15", S_HOUR},
	    {"1", S_NUMMONTH},
	    {"2006", S_LONGYEAR},
	    {"2", S_DAY},
	    {"__2", S_UNDERYDAY},
	    {"_2", S_UNDERDAY},
	    {"3", S_HOUR12},
	    {"4", S_MINUTE},
	    {"5", S_SECOND},
	    {"PM", S_PM},
	    {"pm", S_pm},
	    {"-07:00:00", S_NUM_COLON_SS},
	    {"-070000", S_NUM_SS},
	    {"-07:00", S_NUM_COLON},
	    {"-0700", S_NUM},
	    {"-07", S_NUM_SHORT},
	    {"Z07:00:00", S_ISO_COLON_SS},
	    {"Z070000", S_ISO_SS},
	    {"Z07:00", S_ISO_COLON},
	    {"Z0700", S_ISO},
	    {"Z07", S_ISO_SHORT},
	};

	if ((l[0] == '.' || l[0] == ',') && (l[1] == '0' || l[1] == '9')) {
		size_t j = 1;
		while (l[j] == l[1])
			j++;
		if (!(l[j] >= '0' && l[j] <= '9')) {
			*len = j;
			*frac = (int)j - 1;
			return l[1] == '0' ? S_FRAC0 : S_FRAC9;
		}
	}
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (pre(l, tab[i].p)) {
			/* "Mon" must not be the start of "Monday"-less words like "Month" */
			if (tab[i].s == S_MONTH && pre(l, "January"))
				continue;
			*len = strlen(tab[i].p);
			return tab[i].s;
		}
	*len = 1;
	return S_NONE;
}

int time_format_go(struct buf *b, const struct val *t, const char *layout, struct error *err)
{
	struct tm_go g;
	int r = 0;

	breakdown(t, &g);
	for (const char *l = layout; r == 0 && *l;) {
		size_t len;
		int frac = 0;
		enum std s = chunk(l, &len, &frac);
		int off = t->off, h12 = g.hour % 12 == 0 ? 12 : g.hour % 12;
		switch (s) {
		case S_NONE:
			r = buf_append(b, l, 1, err);
			break;
		case S_LONGMONTH:
			r = buf_append_str(b, months[g.mon - 1], err);
			break;
		case S_MONTH:
			r = buf_printf(b, err, "%.3s", months[g.mon - 1]);
			break;
		case S_NUMMONTH:
			r = buf_printf(b, err, "%d", g.mon);
			break;
		case S_ZEROMONTH:
			r = buf_printf(b, err, "%02d", g.mon);
			break;
		case S_LONGWEEKDAY:
			r = buf_append_str(b, wdays[g.wday], err);
			break;
		case S_WEEKDAY:
			r = buf_printf(b, err, "%.3s", wdays[g.wday]);
			break;
		case S_DAY:
			r = buf_printf(b, err, "%d", g.day);
			break;
		case S_UNDERDAY:
			r = buf_printf(b, err, "%2d", g.day);
			break;
		case S_ZERODAY:
			r = buf_printf(b, err, "%02d", g.day);
			break;
		case S_UNDERYDAY:
			r = buf_printf(b, err, "%3d", g.yday);
			break;
		case S_ZEROYDAY:
			r = buf_printf(b, err, "%03d", g.yday);
			break;
		case S_HOUR:
			r = buf_printf(b, err, "%02d", g.hour);
			break;
		case S_HOUR12:
			r = buf_printf(b, err, "%d", h12);
			break;
		case S_ZEROHOUR12:
			r = buf_printf(b, err, "%02d", h12);
			break;
		case S_MINUTE:
			r = buf_printf(b, err, "%d", g.min);
			break;
		case S_ZEROMINUTE:
			r = buf_printf(b, err, "%02d", g.min);
			break;
		case S_SECOND:
			r = buf_printf(b, err, "%d", g.sec);
			break;
		case S_ZEROSECOND:
			r = buf_printf(b, err, "%02d", g.sec);
			break;
		case S_LONGYEAR:
			r = buf_printf(b, err, "%04lld", (long long)g.year);
			break;
		case S_YEAR:
			r = buf_printf(b, err, "%02d", (int)(g.year % 100 + 100) % 100);
			break;
		case S_PM:
			r = buf_append_str(b, g.hour >= 12 ? "PM" : "AM", err);
			break;
		case S_pm:
			r = buf_append_str(b, g.hour >= 12 ? "pm" : "am", err);
			break;
		case S_TZ:
			if (off == 0)
				r = buf_append_str(b, "UTC", err);
			else
				r = buf_printf(b, err, "%c%02d%02d", off < 0 ? '-' : '+',
					       abs(off) / 3600, abs(off) / 60 % 60);
			break;
		case S_FRAC0:
		case S_FRAC9: {
			char d[16];
			snprintf(d, sizeof(d), "%09d", t->nsec);
			int nd = frac > 9 ? 9 : frac;
			if (s == S_FRAC9) {
				nd = 9;
				while (nd > 0 && d[nd - 1] == '0')
					nd--;
				if (nd > frac)
					nd = frac;
				if (nd == 0)
					break;
			}
			r = buf_printf(b, err, "%c%.*s", l[0], nd, d);
			break;
		}
		default: {
			/* numeric zones; the Z forms write Z for UTC */
			bool iso = s == S_ISO || s == S_ISO_COLON || s == S_ISO_SHORT ||
				   s == S_ISO_SS || s == S_ISO_COLON_SS;
			if (iso && off == 0) {
				r = buf_append(b, "Z", 1, err);
				break;
			}
			int a = abs(off);
			bool colon = s == S_ISO_COLON || s == S_NUM_COLON || s == S_ISO_COLON_SS ||
				     s == S_NUM_COLON_SS;
			bool secs = s == S_ISO_SS || s == S_ISO_COLON_SS || s == S_NUM_SS ||
				    s == S_NUM_COLON_SS;
			r = buf_printf(b, err, "%c%02d", off < 0 ? '-' : '+', a / 3600);
			if (r == 0 && s != S_ISO_SHORT && s != S_NUM_SHORT)
				r = buf_printf(b, err, "%s%02d", colon ? ":" : "", a / 60 % 60);
			if (r == 0 && secs)
				r = buf_printf(b, err, "%s%02d", colon ? ":" : "", a % 60);
		}
		}
		l += len;
	}
	return r;
}

static int num(const char **v, int min, int max, int *out)
{
	int n = 0, x = 0;

	while (n < max && (*v)[n] >= '0' && (*v)[n] <= '9')
		x = x * 10 + ((*v)[n++] - '0');
	if (n < min)
		return -1;
	*v += n;
	*out = x;
	return 0;
}

static int name_of(const char **v, const char *const *names, int count, bool abbr)
{
	for (int i = 0; i < count; i++) {
		size_t l = abbr ? 3 : strlen(names[i]);
		if (strncasecmp(*v, names[i], l) == 0) {
			*v += l;
			return i;
		}
	}
	return -1;
}

int time_parse_go(const char *layout, const char *value, struct val *out, struct error *err)
{
	const char *v = value;
	int64_t year = 1;
	int mon = 1, day = 1, hour = 0, min = 0, sec = 0, nsec = 0, off = 0, yday = -1;
	int pm = -1, x;
	bool bad = false;

	for (const char *l = layout; *l && !bad;) {
		size_t len;
		int frac = 0;
		enum std s = chunk(l, &len, &frac);
		switch (s) {
		case S_NONE:
			if (*v != *l)
				bad = true;
			else
				v++;
			break;
		case S_LONGMONTH:
		case S_MONTH:
			if ((x = name_of(&v, months, 12, s == S_MONTH)) < 0)
				bad = true;
			mon = x + 1;
			break;
		case S_LONGWEEKDAY:
		case S_WEEKDAY:
			if (name_of(&v, wdays, 7, s == S_WEEKDAY) < 0)
				bad = true;
			break;
		case S_NUMMONTH:
		case S_ZEROMONTH:
			bad = num(&v, s == S_ZEROMONTH ? 2 : 1, 2, &mon) || mon < 1 || mon > 12;
			break;
		case S_UNDERDAY:
			if (*v == ' ')
				v++;
			/* fallthrough */
		case S_DAY:
		case S_ZERODAY:
			bad = num(&v, s == S_ZERODAY ? 2 : 1, 2, &day);
			break;
		case S_UNDERYDAY:
			while (*v == ' ')
				v++;
			/* fallthrough */
		case S_ZEROYDAY:
			bad = num(&v, 1, 3, &yday) || yday < 1 || yday > 366;
			break;
		case S_HOUR:
			bad = num(&v, 2, 2, &hour) || hour > 23;
			break;
		case S_HOUR12:
		case S_ZEROHOUR12:
			bad = num(&v, s == S_ZEROHOUR12 ? 2 : 1, 2, &hour) || hour > 12;
			break;
		case S_MINUTE:
		case S_ZEROMINUTE:
			bad = num(&v, s == S_ZEROMINUTE ? 2 : 1, 2, &min) || min > 59;
			break;
		case S_SECOND:
		case S_ZEROSECOND:
			bad = num(&v, s == S_ZEROSECOND ? 2 : 1, 2, &sec) || sec > 59;
			/* Go accepts a fraction after seconds even when the layout has none */
			if (!bad && (*v == '.' || *v == ',') && v[1] >= '0' && v[1] <= '9') {
				size_t nl;
				int f2;
				if (chunk(l + len, &nl, &f2) != S_FRAC0 &&
				    chunk(l + len, &nl, &f2) != S_FRAC9) {
					v++;
					int digits = 0;
					nsec = 0;
					while (*v >= '0' && *v <= '9') {
						if (digits < 9)
							nsec = nsec * 10 + (*v - '0'), digits++;
						v++;
					}
					while (digits++ < 9)
						nsec *= 10;
				}
			}
			break;
		case S_LONGYEAR: {
			int y = 0;
			bad = num(&v, 4, 4, &y);
			year = y;
			break;
		}
		case S_YEAR: {
			int y = 0;
			bad = num(&v, 2, 2, &y);
			year = y >= 69 ? 1900 + y : 2000 + y;
			break;
		}
		case S_PM:
		case S_pm:
			if (strncasecmp(v, "PM", 2) == 0)
				pm = 1;
			else if (strncasecmp(v, "AM", 2) == 0)
				pm = 0;
			else
				bad = true;
			v += bad ? 0 : 2;
			break;
		case S_TZ:
			if (pre(v, "UTC") || pre(v, "GMT"))
				v += 3;
			else {
				int n = 0;
				while (n < 5 && v[n] >= 'A' && v[n] <= 'Z')
					n++;
				if (n < 3)
					bad = true;
				v += n;
			}
			break;
		case S_FRAC0:
		case S_FRAC9: {
			if (*v != l[0]) {
				if (s == S_FRAC9)
					break;
				bad = true;
				break;
			}
			v++;
			int digits = 0;
			nsec = 0;
			while (*v >= '0' && *v <= '9' && (s == S_FRAC9 || digits < frac)) {
				if (digits < 9)
					nsec = nsec * 10 + (*v - '0');
				digits++;
				v++;
			}
			if (s == S_FRAC0 && digits != frac)
				bad = true;
			for (int k = digits; k < 9; k++)
				nsec *= 10;
			break;
		}
		default: {
			bool iso = s == S_ISO || s == S_ISO_COLON || s == S_ISO_SHORT ||
				   s == S_ISO_SS || s == S_ISO_COLON_SS;
			if (iso && *v == 'Z') {
				v++;
				off = 0;
				break;
			}
			if (*v != '+' && *v != '-') {
				bad = true;
				break;
			}
			int sign = *v++ == '-' ? -1 : 1, hh = 0, mm = 0, ss = 0;
			bool colon = s == S_ISO_COLON || s == S_NUM_COLON || s == S_ISO_COLON_SS ||
				     s == S_NUM_COLON_SS;
			bool secs = s == S_ISO_SS || s == S_ISO_COLON_SS || s == S_NUM_SS ||
				    s == S_NUM_COLON_SS;
			bad = num(&v, 2, 2, &hh);
			if (!bad && s != S_ISO_SHORT && s != S_NUM_SHORT) {
				if (colon && *v++ != ':')
					bad = true;
				bad = bad || num(&v, 2, 2, &mm);
			}
			if (!bad && secs) {
				if (colon && *v++ != ':')
					bad = true;
				bad = bad || num(&v, 2, 2, &ss);
			}
			off = sign * (hh * 3600 + mm * 60 + ss);
			if (hh > 24 || mm > 59 || ss > 59)
				bad = true;
		}
		}
		l += len;
	}
	if (bad || *v != '\0')
		return err_set(err, ERR_INVALID,
			       "parsing time \"%s\" as \"%s\": cannot parse \"%s\"", value, layout,
			       v);
	if (pm == 1 && hour < 12)
		hour += 12;
	else if (pm == 0 && hour == 12)
		hour = 0;
	if (yday > 0) {
		int64_t d0 = days_from_civil(year, 1, 1) + yday - 1;
		int64_t yy;
		civil(d0, &yy, &mon, &day);
	}
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (day < 1 || day > mdays[mon - 1] + (mon == 2 && leap(year)))
		return err_set(err, ERR_INVALID, "parsing time \"%s\": day out of range", value);
	*out = (struct val){.k = V_TIME};
	out->i = days_from_civil(year, mon, day) * 86400 + hour * 3600 + min * 60 + sec - off;
	out->nsec = nsec;
	out->off = off;
	return 0;
}
