/* krl.c - OpenSSH key revocation lists (PROTOCOL.krl): certificates revoked by serial number,
 * one certificate section per CA key. */
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "ssh/internal.h"

#define KRL_MAGIC	   0x5353484b524c0a00ULL /* "SSHKRL\n\0" */
#define KRL_FORMAT_VERSION 1
#define KRL_MAX		   (64 * 1024 * 1024)
#define RANGE_MIN_RUN	   3 /* shorter runs of serials are cheaper as a list */

enum {
	KRL_SECTION_CERTIFICATES = 1,
	KRL_SECTION_SIGNATURE = 4,
	KRL_SECTION_EXTENSION = 255,
	KRL_SECTION_CERT_SERIAL_LIST = 0x20,
	KRL_SECTION_CERT_SERIAL_RANGE = 0x21,
	KRL_SECTION_CERT_SERIAL_BITMAP = 0x22,
	KRL_SECTION_CERT_EXTENSION = 0x39,
};

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* A sorted copy of the serials without duplicates (*n updated); malloc'd. */
static uint64_t *sorted_unique(const uint64_t *serials, size_t *n)
{
	uint64_t *s = xmalloc((*n == 0 ? 1 : *n) * sizeof(*s));
	size_t k = 0;

	if (*n > 0)
		memcpy(s, serials, *n * sizeof(*s));
	qsort(s, *n, sizeof(*s), u64_cmp);
	for (size_t i = 0; i < *n; i++)
		if (k == 0 || s[k - 1] != s[i])
			s[k++] = s[i];
	*n = k;
	return s;
}

/* Emits the pending serial list subsection, if any. */
static void flush_list(struct wire_writer *w, const uint64_t *s, size_t n)
{
	if (n == 0)
		return;
	wire_put_u8(w, KRL_SECTION_CERT_SERIAL_LIST);
	wire_put_u32(w, (uint32_t)(n * 8));
	for (size_t i = 0; i < n; i++)
		wire_put_u64(w, s[i]);
}

/* The subsections of sorted, unique serials: ranges for runs, lists between them. */
static void put_serials(struct wire_writer *w, const uint64_t *s, size_t n)
{
	size_t list = 0, i = 0, j;

	while (i < n) {
		for (j = i + 1; j < n && s[j] == s[j - 1] + 1; j++)
			;
		if (j - i >= RANGE_MIN_RUN) {
			flush_list(w, s + list, i - list);
			wire_put_u8(w, KRL_SECTION_CERT_SERIAL_RANGE);
			wire_put_u32(w, 16);
			wire_put_u64(w, s[i]);
			wire_put_u64(w, s[j - 1]);
			list = j;
		} else if (j - list >= UINT32_MAX / 8) {
			flush_list(w, s + list, j - list);
			list = j;
		}
		i = j;
	}
	flush_list(w, s + list, n - list);
}

static void put_ca_section(struct wire_writer *w, const struct ssh_krl_ca *ca)
{
	struct wire_writer sec;
	size_t n = ca->n;
	uint64_t *s = sorted_unique(ca->serials, &n);

	wire_writer_init(&sec, KRL_MAX, w->err);
	wire_put_string(&sec, ca->ca->blob, ca->ca->blob_len);
	wire_put_string(&sec, NULL, 0); /* reserved */
	put_serials(&sec, s, n);
	if (sec.rc != 0 && w->rc == 0)
		w->rc = -1;
	wire_put_u8(w, KRL_SECTION_CERTIFICATES);
	wire_put_string(w, sec.buf.data, sec.buf.len);
	wire_writer_free(&sec);
	free(s);
}

int ssh_krl_build(const struct ssh_krl_ca *cas, size_t n_cas, uint64_t krl_version,
		  uint64_t generated_at, const char *comment, uint8_t **out, size_t *len,
		  struct error *err)
{
	struct wire_writer w;

	*out = NULL;
	*len = 0;
	for (size_t i = 0; i < n_cas; i++)
		if (cas[i].n > 0 &&
		    (cas[i].ca == NULL || cas[i].ca->blob == NULL || cas[i].serials == NULL))
			return err_set(err, ERR_INVALID, "KRL: CA %zu has no key or serials", i);
	wire_writer_init(&w, KRL_MAX, err);
	wire_put_u64(&w, KRL_MAGIC);
	wire_put_u32(&w, KRL_FORMAT_VERSION);
	wire_put_u64(&w, krl_version);
	wire_put_u64(&w, generated_at);
	wire_put_u64(&w, 0);	      /* flags */
	wire_put_string(&w, NULL, 0); /* reserved */
	wire_put_cstring(&w, comment);
	for (size_t i = 0; i < n_cas && w.rc == 0; i++)
		if (cas[i].n > 0)
			put_ca_section(&w, &cas[i]);
	return wire_writer_finish(&w, out, len);
}

/* --- reading ---------------------------------------------------------------------------------- */

/* Whether the serial list / range / bitmap subsection data d revokes serial; -1 malformed. */
static int sub_revokes(uint8_t type, const uint8_t *d, size_t n, uint64_t serial, bool *hit)
{
	struct wire_reader r;
	uint64_t a = 0, b = 0;
	const uint8_t *bits;
	size_t bits_len;

	wire_reader_init(&r, d, n);
	if (type == KRL_SECTION_CERT_SERIAL_LIST) {
		while (wire_left(&r) > 0 && wire_get_u64(&r, &a) == 0)
			*hit = *hit || a == serial;
	} else if (type == KRL_SECTION_CERT_SERIAL_RANGE) {
		wire_get_u64(&r, &a);
		wire_get_u64(&r, &b);
		if (a > b)
			return -1;
		*hit = *hit || (serial >= a && serial <= b);
	} else if (type == KRL_SECTION_CERT_SERIAL_BITMAP) {
		wire_get_u64(&r, &a);
		if (wire_get_mpint(&r, &bits, &bits_len) == 0 && serial >= a &&
		    serial - a < (uint64_t)bits_len * 8) {
			uint64_t bit = serial - a;

			*hit = *hit || (bits[bits_len - 1 - bit / 8] >> (bit % 8) & 1) != 0;
		}
	} else {
		return 0; /* key ids and other subsections do not revoke by serial */
	}
	return wire_done(&r) ? 0 : -1;
}

/* An extension (section or subsection): a critical one this reader does not know is refused. */
static int check_extension(const uint8_t *d, size_t n)
{
	struct wire_reader r;
	const uint8_t *p;
	size_t len;
	uint8_t critical = 0;

	wire_reader_init(&r, d, n);
	wire_get_string(&r, &p, &len);
	wire_get_u8(&r, &critical);
	wire_get_string(&r, &p, &len);
	return wire_done(&r) && critical == 0 ? 0 : -1;
}

/* Reads a certificate section: does it revoke serial of ca? */
static int cert_section(const uint8_t *d, size_t n, const struct ssh_pubkey *ca, uint64_t serial,
			bool *revoked)
{
	struct wire_reader r;
	const uint8_t *key, *reserved, *sub;
	size_t key_len, reserved_len, sub_len;
	uint8_t type;
	bool hit = false, match;

	wire_reader_init(&r, d, n);
	wire_get_string(&r, &key, &key_len);
	wire_get_string(&r, &reserved, &reserved_len);
	if (r.bad)
		return -1;
	/* An empty CA key applies to every CA. */
	match = key_len == 0 || (key_len == ca->blob_len && memcmp(key, ca->blob, key_len) == 0);
	while (wire_left(&r) > 0) {
		if (wire_get_u8(&r, &type) != 0 || wire_get_string(&r, &sub, &sub_len) != 0)
			return -1;
		if (type == KRL_SECTION_CERT_EXTENSION && check_extension(sub, sub_len) != 0)
			return -1;
		if (sub_revokes(type, sub, sub_len, serial, &hit) != 0)
			return -1;
	}
	if (match && hit)
		*revoked = true;
	return wire_done(&r) ? 0 : -1;
}

static int read_header(struct wire_reader *r)
{
	uint64_t magic, v;
	uint32_t format;
	const uint8_t *p;
	size_t n;

	wire_get_u64(r, &magic);
	wire_get_u32(r, &format);
	wire_get_u64(r, &v); /* krl_version */
	wire_get_u64(r, &v); /* generated_date */
	wire_get_u64(r, &v); /* flags */
	wire_get_string(r, &p, &n);
	wire_get_string(r, &p, &n);
	return r->bad || magic != KRL_MAGIC || format != KRL_FORMAT_VERSION ? -1 : 0;
}

int ssh_krl_revokes_serial(const uint8_t *krl, size_t len, const struct ssh_pubkey *ca,
			   uint64_t serial, bool *revoked, struct error *err)
{
	struct wire_reader r;
	const uint8_t *d, *sig;
	size_t n, sig_len;
	uint8_t type;
	bool hit = false;

	*revoked = false;
	if (len > KRL_MAX || ca == NULL)
		return err_set(err, ERR_INVALID, "KRL too large or no CA key");
	wire_reader_init(&r, krl, len);
	if (read_header(&r) != 0)
		return err_set(err, ERR_INVALID, "malformed KRL header");
	while (wire_left(&r) > 0) {
		wire_get_u8(&r, &type);
		wire_get_string(&r, &d, &n);
		if (type == KRL_SECTION_SIGNATURE) { /* signature key, signature: ignored */
			wire_get_string(&r, &sig, &sig_len);
		} else if (r.bad ||
			   (type == KRL_SECTION_CERTIFICATES &&
			    cert_section(d, n, ca, serial, &hit) != 0) ||
			   (type == KRL_SECTION_EXTENSION && check_extension(d, n) != 0)) {
			return err_set(err, ERR_INVALID, "malformed KRL section %u", type);
		}
		if (r.bad)
			return err_set(err, ERR_INVALID, "malformed KRL section %u", type);
	}
	*revoked = hit;
	return 0;
}
