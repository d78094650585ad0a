/* pem_text.h - PEM text (RFC 7468) of DER bytes, written without a BIO.
 *
 * The layout is OpenSSL's PEM_write_bio's, byte for byte: "-----BEGIN <label>-----\n", the
 * base64 of the bytes in lines of 64 characters each ended by "\n", "-----END <label>-----\n".
 * The label is plain ASCII (letters and spaces, as "CERTIFICATE"), so the text holds nothing
 * a JSON string must escape but its newlines.
 */
#ifndef STRIDE_BASE_PEM_TEXT_H
#define STRIDE_BASE_PEM_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The length of the PEM text of n bytes under label; json: each newline counted as the two
 * characters of the JSON escape "\n" (the text as the inside of a JSON string). */
size_t pem_text_len(const char *label, size_t n, bool json);
/* Writes that text (exactly pem_text_len bytes, no NUL) to out; returns its length. */
size_t pem_text_write(char *out, const char *label, const uint8_t *der, size_t n, bool json);
/* The PEM text of n bytes, NUL-terminated; malloc'd, caller frees. */
char *pem_text(const char *label, const uint8_t *der, size_t n);

/* The bytes of a PEM text in exactly that layout (as PEM_write_bio and step write it): the
 * BEGIN line at data[0] with a label of capital letters, digits and spaces, full lines of 64
 * base64 characters but the last, exact padding with zero trailing bits, the END line with the
 * same label ended by a newline or the end of data; what follows it is not read. out holds at
 * least len * 3 / 4 bytes. False for any other text, which a general PEM reader must judge:
 * on the texts this accepts, OpenSSL's PEM_read_bio reads the same label and bytes. */
bool pem_text_decode(const uint8_t *data, size_t len, uint8_t *out, size_t *out_len);

#endif
