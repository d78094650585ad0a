/* funcs_misc.c - sprig's conversions and integer math (int, int64, float64, atoi, add, sub,
 * mul, div, mod, max, min...), reflection (typeOf, typeIs, kindOf, kindIs) and uuidv4. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "template/tpl_internal.h"

static int fn_int(struct exec *st, struct val *a, size_t n, struct val *res)
{
	(void)st, (void)n;
	*res = val_int(val_to_i64(&a[0]));
	return 0;
}

static int fn_float64(struct exec *st, struct val *a, size_t n, struct val *res)
{
	(void)st, (void)n;
	*res = val_float(val_to_f64(&a[0]));
	return 0;
}

/* strconv.Atoi: decimal only, 0 on error */
static int fn_atoi(struct exec *st, struct val *a, size_t n, struct val *res)
{
	size_t l;
	const char *s = val_strp(&a[0], &l);
	char *end;

	(void)st, (void)n;
	long long x = l && l < 32 && a[0].k == V_STR ? strtoll(s, &end, 10) : 0;
	if (!(l && l < 32 && a[0].k == V_STR && *end == '\0' && s[0] != ' '))
		x = 0;
	*res = val_int(x);
	return 0;
}

/* wrapping arithmetic, as Go's int64 */
static int64_t wrap(uint64_t x)
{
	return (int64_t)x;
}

static int arith(struct exec *st, struct val *a, size_t n, struct val *res, char op)
{
	int64_t acc = n ? val_to_i64(&a[0]) : 0;

	if (op == '1') {
		*res = val_int(wrap((uint64_t)acc + 1));
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		int64_t b = val_to_i64(&a[i]);
		switch (op) {
		case '+':
			acc = wrap((uint64_t)acc + (uint64_t)b);
			break;
		case '-':
			acc = wrap((uint64_t)acc - (uint64_t)b);
			break;
		case '*':
			acc = wrap((uint64_t)acc * (uint64_t)b);
			break;
		case '/':
		case '%':
			if (b == 0)
				return exec_fn_err(st, "runtime error: integer divide by zero");
			if (b == -1)
				acc = op == '/' ? wrap(0 - (uint64_t)acc) : 0;
			else
				acc = op == '/' ? acc / b : acc % b;
			break;
		case 'M':
			acc = b > acc ? b : acc;
			break;
		case 'm':
			acc = b < acc ? b : acc;
			break;
		}
	}
	*res = val_int(acc);
	return 0;
}

static int fn_add(struct exec *st, struct val *a, size_t n, struct val *r)
{
	return arith(st, a, n, r, '+');
}
static int fn_add1(struct exec *st, struct val *a, size_t n, struct val *r)
{
	return arith(st, a, n, r, '1');
}
static int fn_sub(struct exec *st, struct val *a, size_t n, struct val *r)
{
	return arith(st, a, n, r, '-');
}
static int fn_mul(struct exec *st, struct val *a, size_t n, struct val *r)
{
	return arith(st, a, n, r, '*');
}
static int fn_div(struct exec *st, struct val *a, size_t n, struct val *r)
{
	return arith(st, a, n, r, '/');
}
static int fn_mod(struct exec *st, struct val *a, size_t n, struct val *r)
{
	return arith(st, a, n, r, '%');
}
static int fn_max(struct exec *st, struct val *a, size_t n, struct val *r)
{
	return arith(st, a, n, r, 'M');
}
static int fn_min(struct exec *st, struct val *a, size_t n, struct val *r)
{
	return arith(st, a, n, r, 'm');
}

static int fn_typeOf(struct exec *st, struct val *a, size_t n, struct val *res)
{
	const char *t = val_type(&a[0]);

	(void)n;
	return val_str(res, t, strlen(t)) ? exec_fn_err(st, "out of memory") : 0;
}

static int fn_kindOf(struct exec *st, struct val *a, size_t n, struct val *res)
{
	const char *t = val_kind_name(&a[0]);

	(void)n;
	return val_str(res, t, strlen(t)) ? exec_fn_err(st, "out of memory") : 0;
}

static int is_fn(struct exec *st, struct val *a, struct val *res, bool kind)
{
	size_t l;
	const char *want = val_strp(&a[0], &l);
	const char *got = kind ? val_kind_name(&a[1]) : val_type(&a[1]);

	if (a[0].k != V_STR)
		return exec_fn_err(st, "wrong type for value; expected string; got %s",
				   val_type(&a[0]));
	*res = val_bool(strlen(got) == l && memcmp(got, want, l) == 0);
	return 0;
}

static int fn_typeIs(struct exec *st, struct val *a, size_t n, struct val *r)
{
	(void)n;
	return is_fn(st, a, r, false);
}
static int fn_kindIs(struct exec *st, struct val *a, size_t n, struct val *r)
{
	(void)n;
	return is_fn(st, a, r, true);
}

static int fn_typeIsLike(struct exec *st, struct val *a, size_t n, struct val *res)
{
	size_t l;
	const char *want = val_strp(&a[0], &l), *got = val_type(&a[1]);

	(void)st, (void)n;
	*res = val_bool((strlen(got) == l && memcmp(got, want, l) == 0) ||
			(got[0] == '*' && strlen(got + 1) == l && memcmp(got + 1, want, l) == 0));
	return 0;
}

static int fn_uuidv4(struct exec *st, struct val *a, size_t n, struct val *res)
{
	unsigned char u[16];
	char s[37];

	(void)a, (void)n;
	if (RAND_bytes(u, sizeof(u)) != 1)
		return exec_fn_err(st, "uuid: random source failed");
	u[6] = (unsigned char)((u[6] & 0x0F) | 0x40);
	u[8] = (unsigned char)((u[8] & 0x3F) | 0x80);
	snprintf(s, sizeof(s),
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
		 u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
		 u[15]);
	return val_str(res, s, 36) ? exec_fn_err(st, "out of memory") : 0;
}

const struct fn_def tpl_fns_misc[] = {
    {"int", fn_int, 1, 1},	 {"int64", fn_int, 1, 1},     {"float64", fn_float64, 1, 1},
    {"atoi", fn_atoi, 1, 1},	 {"add", fn_add, 0, -1},      {"add1", fn_add1, 1, 1},
    {"sub", fn_sub, 2, 2},	 {"mul", fn_mul, 1, -1},      {"div", fn_div, 2, 2},
    {"mod", fn_mod, 2, 2},	 {"max", fn_max, 1, -1},      {"min", fn_min, 1, -1},
    {"typeOf", fn_typeOf, 1, 1}, {"typeIs", fn_typeIs, 2, 2}, {"typeIsLike", fn_typeIsLike, 2, 2},
    {"kindOf", fn_kindOf, 1, 1}, {"kindIs", fn_kindIs, 2, 2}, {"uuidv4", fn_uuidv4, 0, 0},
    {NULL, NULL, 0, 0},
};
