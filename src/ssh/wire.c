/* wire.c - the SSH data types of RFC 4251 §5 (byte, uint32, uint64, string, mpint), read with
 * every length checked and written over a bounded struct buf. */
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "ssh/internal.h"

void wire_reader_init(struct wire_reader *r, const uint8_t *p, size_t n)
{
	r->p = p;
	r->len = p == NULL ? 0 : n;
	r->off = 0;
	r->bad = false;
}

size_t wire_left(const struct wire_reader *r)
{
	return r->bad ? 0 : r->len - r->off;
}

bool wire_done(const struct wire_reader *r)
{
	return !r->bad && r->off == r->len;
}

/* Takes n bytes from r: *p points at them. */
static int wire_take(struct wire_reader *r, size_t n, const uint8_t **p)
{
	if (r->bad || n > r->len - r->off) {
		r->bad = true;
		*p = NULL;
		return -1;
	}
	*p = r->p + r->off;
	r->off += n;
	return 0;
}

int wire_get_u8(struct wire_reader *r, uint8_t *v)
{
	const uint8_t *p;

	*v = 0;
	if (wire_take(r, 1, &p) != 0)
		return -1;
	*v = p[0];
	return 0;
}

int wire_get_u32(struct wire_reader *r, uint32_t *v)
{
	const uint8_t *p;

	*v = 0;
	if (wire_take(r, 4, &p) != 0)
		return -1;
	*v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	return 0;
}

int wire_get_u64(struct wire_reader *r, uint64_t *v)
{
	uint32_t hi, lo;

	*v = 0;
	if (wire_get_u32(r, &hi) != 0 || wire_get_u32(r, &lo) != 0)
		return -1;
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

int wire_get_string(struct wire_reader *r, const uint8_t **p, size_t *n)
{
	uint32_t len;

	*p = NULL;
	*n = 0;
	if (wire_get_u32(r, &len) != 0 || wire_take(r, len, p) != 0)
		return -1;
	*n = len;
	return 0;
}

int wire_get_cstring(struct wire_reader *r, size_t max, char **out)
{
	const uint8_t *p;
	size_t n;

	*out = NULL;
	if (wire_get_string(r, &p, &n) != 0)
		return -1;
	if (n > max || memchr(p, '\0', n) != NULL) {
		r->bad = true;
		return -1;
	}
	*out = xmalloc(n + 1);
	memcpy(*out, p, n);
	(*out)[n] = '\0';
	return 0;
}

int wire_get_name(struct wire_reader *r, const char *s)
{
	const uint8_t *p;
	size_t n;

	if (wire_get_string(r, &p, &n) != 0)
		return -1;
	if (n != strlen(s) || memcmp(p, s, n) != 0) {
		r->bad = true;
		return -1;
	}
	return 0;
}

int wire_get_mpint(struct wire_reader *r, const uint8_t **p, size_t *n)
{
	if (wire_get_string(r, p, n) != 0)
		return -1;
	if (*n > SSH_MPINT_MAX || (*n > 0 && ((*p)[0] & 0x80) != 0)) {
		r->bad = true; /* too large, or negative */
		*p = NULL;
		*n = 0;
		return -1;
	}
	while (*n > 0 && (*p)[0] == 0) {
		(*p)++;
		(*n)--;
	}
	return 0;
}

int wire_get_bignum(struct wire_reader *r, BIGNUM **bn)
{
	const uint8_t *p;
	size_t n;

	*bn = NULL;
	if (wire_get_mpint(r, &p, &n) != 0)
		return -1;
	*bn = BN_bin2bn(p, (int)n, NULL);
	if (*bn == NULL) {
		r->bad = true;
		return -1;
	}
	return 0;
}

/* --- writer ------------------------------------------------------------------------------------
 */

void wire_writer_init(struct wire_writer *w, size_t max, struct error *err)
{
	buf_init(&w->buf, max);
	w->rc = 0;
	w->err = err;
}

void wire_put_raw(struct wire_writer *w, const void *p, size_t n)
{
	if (w->rc == 0 && buf_append(&w->buf, p, n, w->err) != 0)
		w->rc = -1;
}

void wire_put_u8(struct wire_writer *w, uint8_t v)
{
	wire_put_raw(w, &v, 1);
}

void wire_put_u32(struct wire_writer *w, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};

	wire_put_raw(w, b, sizeof(b));
}

void wire_put_u64(struct wire_writer *w, uint64_t v)
{
	wire_put_u32(w, (uint32_t)(v >> 32));
	wire_put_u32(w, (uint32_t)v);
}

void wire_put_string(struct wire_writer *w, const void *p, size_t n)
{
	if (n > UINT32_MAX) {
		if (w->rc == 0)
			w->rc = err_set(w->err, ERR_TOO_LARGE, "ssh string too long");
		return;
	}
	wire_put_u32(w, (uint32_t)n);
	wire_put_raw(w, p, n);
}

void wire_put_cstring(struct wire_writer *w, const char *s)
{
	wire_put_string(w, s, s == NULL ? 0 : strlen(s));
}

void wire_put_mpint(struct wire_writer *w, const uint8_t *p, size_t n)
{
	uint8_t zero = 0;
	bool pad;

	while (n > 0 && p[0] == 0) {
		p++;
		n--;
	}
	pad = n > 0 && (p[0] & 0x80) != 0;
	wire_put_u32(w, (uint32_t)(n + pad));
	if (pad)
		wire_put_raw(w, &zero, 1);
	wire_put_raw(w, p, n);
}

void wire_put_bignum(struct wire_writer *w, const BIGNUM *bn)
{
	int n = BN_num_bytes(bn);
	uint8_t *tmp;

	if (n > SSH_MPINT_MAX) {
		if (w->rc == 0)
			w->rc = err_set(w->err, ERR_INVALID, "ssh integer too large");
		return;
	}
	tmp = xmalloc((size_t)n + 1);
	BN_bn2bin(bn, tmp);
	wire_put_mpint(w, tmp, (size_t)n);
	OPENSSL_cleanse(tmp, (size_t)n + 1);
	free(tmp);
}

int wire_writer_finish(struct wire_writer *w, uint8_t **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	if (w->rc != 0) {
		buf_free(&w->buf);
		return -1;
	}
	*len = w->buf.len;
	*out = (uint8_t *)buf_steal(&w->buf);
	return 0;
}

void wire_writer_free(struct wire_writer *w)
{
	buf_free(&w->buf);
}
