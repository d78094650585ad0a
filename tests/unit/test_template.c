/* test_template.c - the template engine against what Go's text/template with sprig and step's
 * functions writes for the same template and data: a table of templates, their data and the
 * exact output or error (kind, exposure, message). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template/template.h"

/* The data step-ca hands to a leaf template, as the authority builds it: Go structs are
 * objects with "@type" (and "@json" for what toJson writes). */
static const char *const DATA =
    "{\"Subject\": {\"@type\": \"x509util.Subject\", \"CommonName\": \"a\","
    "   \"Country\": [], \"Organization\": [\"Acme\"], \"@json\": {\"commonName\": \"a\"}},"
    " \"SANs\": [{\"@type\": \"x509util.SubjectAlternativeName\", \"Type\": \"dns\","
    "   \"Value\": \"a.example.com\", \"@json\": {\"type\": \"dns\", \"value\": "
    "\"a.example.com\"}}],"
    " \"Token\": {\"sub\": \"a\", \"exp\": 1700000000, \"iat\": 1699999700.5,"
    "   \"email\": \"a@example.com\", \"groups\": [\"admin\", \"dev\"]},"
    " \"Insecure\": {\"CR\": {\"@type\": \"*x509.CertificateRequest\","
    "   \"PublicKey\": {\"@type\": \"*rsa.PublicKey\", \"N\": 5, \"E\": 65537, \"Size\": 256},"
    "   \"PublicKeyAlgorithm\": 1, \"DNSNames\": [\"a.example.com\"], \"EmailAddresses\": []},"
    "   \"User\": {\"role\": \"ops\"}},"
    " \"map\": {\"b\": 2, \"a\": 1, \"c\": \"x\", \"@hidden\": 9},"
    " \"list\": [\"x\", \"y\", \"z\"], \"nums\": [1, 2.5, 1000000],"
    " \"n\": null, \"t\": true, \"f\": false, \"s\": \"hello\", \"empty\": \"\", \"num\": 3,"
    " \"html\": \"<a&b>\", \"nested\": {\"m\": {\"k\": [1, {\"z\": null}]}}}";

#define LEAF                                                                                       \
	"{\"subject\": {{ toJson .Subject }}, \"sans\": {{ toJson .SANs }},"                       \
	"{{- if typeIs \"*rsa.PublicKey\" .Insecure.CR.PublicKey }} \"keyUsage\": "                \
	"[\"keyEncipherment\", \"digitalSignature\"],"                                             \
	"{{- else }} \"keyUsage\": [\"digitalSignature\"],{{- end }} \"extKeyUsage\": "            \
	"[\"serverAuth\", \"clientAuth\"]}"

/* step's example template (x509util testdata) with the data of an OIDC-like request. */
#define EXAMPLE                                                                                    \
	"{\n\t\"subject\": {{ toJson .Insecure.CR.Subject }},\n\t\"sans\": {{ toJson .SANs }},\n"  \
	"{{- if .Insecure.CR.EmailAddresses }}\n\t\"emailAddresses\": {{ toJson "                  \
	".Insecure.CR.EmailAddresses }},\n{{- end }}\n{{- if .Token }}\n\t\"uris\": \"{{ "         \
	".Token.iss "                                                                              \
	"}}#{{ .Token.sub }}\",\n{{- end }}\n\t\"notAfter\": \"{{ .Webhooks.Test.notAfter }}\",\n" \
	"{{- if typeIs \"*rsa.PublicKey\" .Insecure.CR.PublicKey }}\n\t{{- if lt "                 \
	".Insecure.CR.PublicKey.Size 384 }}\n\t\t{{ fail \"Key length must be at least 3072 "      \
	"bits\" "                                                                                  \
	"}}\n\t{{- end }}\n{{- end }}\n{{- if typeIs \"*rsa.PublicKey\" .Insecure.CR.PublicKey "   \
	"}}\n"                                                                                     \
	"\t\"keyUsage\": [\"keyEncipherment\", \"digitalSignature\"],\n{{- else "                  \
	"}}\n\t\"keyUsage\": "                                                                     \
	"[\"digitalSignature\"],\n{{- end }}\n\t\"extKeyUsage\": [\"serverAuth\", "                \
	"\"clientAuth\"]\n}"
#define EXAMPLE_DATA(key)                                                                          \
	"{\"Insecure\": {\"CR\": {\"@type\": \"*x509.CertificateRequest\", \"Subject\": "          \
	"{\"@type\": "                                                                             \
	"\"x509util.Subject\", \"CommonName\": \"jane\", \"@json\": {\"commonName\": \"jane\"}}, " \
	"\"EmailAddresses\": [\"jane@example.com\"], \"PublicKey\": " key "}}, \"SANs\": [], "     \
	"\"Token\": {\"iss\": \"https://idp\", \"sub\": \"1234\"}, \"Webhooks\": {\"Test\": "      \
	"{\"notAfter\": \"2030-01-01T00:00:00Z\"}}}"

struct tcase {
	const char *src;
	const char *want; /* output, or the error message when kind != 0 */
	enum err_kind kind;
	const char *data; /* NULL: DATA */
};

#define OK(s, w)                                                                                   \
	{                                                                                          \
		s, w, ERR_NONE, NULL                                                               \
	}
#define OKD(s, d, w)                                                                               \
	{                                                                                          \
		s, w, ERR_NONE, d                                                                  \
	}
#define PARSE_ERR(s, m)                                                                            \
	{                                                                                          \
		s, m, ERR_INVALID, NULL                                                            \
	}
#define EXEC_ERR(s, m)                                                                             \
	{                                                                                          \
		s, m, ERR_INTERNAL, NULL                                                           \
	}
#define FAIL(s, m)                                                                                 \
	{                                                                                          \
		s, m, ERR_NOT_FOUND, NULL                                                          \
	} /* fail: ERR_INVALID, exposed */

static const struct tcase cases[] = {
    /* text, actions, comments, trimming */
    OK("plain text", "plain text"),
    OK("", ""),
    OK("{{ .s }}", "hello"),
    OK("{{.s}} {{ .num }}", "hello 3"),
    OK("a {{- .s -}} b", "ahellob"),
    OK("a  \n {{- .s }}  \n b", "ahello  \n b"),
    OK("a {{ .s -}} \n\t b", "a hellob"),
    OK("x{{/* comment */}}y", "xy"),
    OK("x {{- /* comment */ -}} y", "xy"),
    OK("{{-3}}", "-3"),
    OK("{{ 1.5 }} {{ 1e3 }} {{ 0x10 }} {{ 'a' }} {{ 0o17 }} {{ 1_000 }}", "1.5 1000 16 97 15 1000"),
    OK("{{ \"a\\tb\\u00e9\\x41\" }}|{{ `raw\\n` }}", "a\tbéA|raw\\n"),
    OK("{{ true }} {{ false }}", "true false"),
    /* Go values as fmt prints them */
    OK("{{ .Token.exp }}", "1.7e+09"),
    OK("{{ .Token.iat }}", "1.6999997005e+09"),
    OK("{{ .num }} {{ .nums }}", "3 [1 2.5 1e+06]"),
    OK("{{ .map }}", "map[a:1 b:2 c:x]"),
    OK("{{ .list }}", "[x y z]"),
    OK("{{ .nested }}", "map[m:map[k:[1 map[z:<nil>]]]]"),
    OK("{{ .n }}|{{ .missing }}|{{ .missing.deeper }}", "<no value>|<no value>|<no value>"),
    OK("{{ print .n }} {{ print .missing }}", "<nil> <nil>"),
    OK("{{ 0.000001 }} {{ 0.0001 }} {{ 123456.0 }} {{ 1234567.0 }}",
       "1e-06 0.0001 123456 1.234567e+06"),
    EXEC_ERR("{{ .n.x }}",
	     "template: t:1:3: executing \"t\" at <.n.x>: nil pointer evaluating interface {}.x"),
    EXEC_ERR("{{ .s.x }}",
	     "template: t:1:3: executing \"t\" at <.s.x>: can't evaluate field x in type string"),
    EXEC_ERR("{{ .Subject.Nope }}", "template: t:1:3: executing \"t\" at <.Subject.Nope>: can't "
				    "evaluate field Nope in type x509util.Subject"),
    OK("{{ .map.hidden }}{{ index .map \"@hidden\" }}", "<no value><no value>"),
    /* variables */
    OK("{{ $x := .s }}{{ $x }}{{ $x = \"b\" }}{{ $x }}", "hellob"),
    OK("{{ $ }}",
       "map[Insecure:map[CR:map[DNSNames:[a.example.com] EmailAddresses:[] PublicKey:map[E:65537 "
       "N:5 Size:256] PublicKeyAlgorithm:1] User:map[role:ops]] SANs:[map[Type:dns "
       "Value:a.example.com]] "
       "Subject:map[CommonName:a Country:[] Organization:[Acme]] Token:map[email:a@example.com "
       "exp:1.7e+09 groups:[admin dev] iat:1.6999997005e+09 sub:a] empty: f:false html:<a&b> "
       "list:[x y z] map:map[a:1 b:2 c:x] n:<nil> nested:map[m:map[k:[1 map[z:<nil>]]]] num:3 "
       "nums:[1 2.5 1e+06] s:hello t:true]"),
    OK("{{ with .Token }}{{ $.s }} {{ .sub }}{{ end }}", "hello a"),
    OK("{{ $m := .map }}{{ $m.a }} {{ (index .list 1) }} {{ (.Token).sub }}", "1 y a"),
    PARSE_ERR("{{ $x }}", "template: t:1: undefined variable \"$x\""),
    PARSE_ERR("{{ if .t }}{{ $y := 1 }}{{ end }}{{ $y }}",
	      "template: t:1: undefined variable \"$y\""),
    /* if / else if / with / range */
    OK("{{ if .t }}y{{ else }}n{{ end }}{{ if .f }}y{{ else }}n{{ end }}", "yn"),
    OK("{{ if .empty }}1{{ else if .n }}2{{ else if .list }}3{{ else }}4{{ end }}", "3"),
    OK("{{ if and .t .s }}{{ and .t .s }}{{ end }} {{ or .empty .n 0 }} {{ or .empty \"d\" }} {{ "
       "not .s }}",
       "hello 0 d false"),
    OK("{{ with .missing }}x{{ else }}none{{ end }} {{ with .s }}{{ . }}{{ end }}", "none hello"),
    OK("{{ with .empty }}a{{ else with .s }}{{ . }}{{ end }}", "hello"),
    OK("{{ range .list }}[{{ . }}]{{ end }}", "[x][y][z]"),
    OK("{{ range $i, $v := .list }}{{ $i }}={{ $v }};{{ end }}", "0=x;1=y;2=z;"),
    OK("{{ range $k, $v := .map }}{{ $k }}:{{ $v }},{{ end }}", "a:1,b:2,c:x,"),
    OK("{{ range $v := .map }}{{ $v }}{{ end }}", "12x"),
    OK("{{ range .none }}x{{ else }}empty{{ end }}{{ range .n }}{{ end }}", "empty"),
    OK("{{ range .list }}{{ if eq . \"y\" }}{{ continue }}{{ end }}{{ if eq . \"z\" }}{{ break "
       "}}{{ end }}{{ . }}{{ end }}",
       "x"),
    OK("{{ range 3 }}{{ . }}{{ end }}", "012"),
    EXEC_ERR("{{ range .s }}{{ end }}",
	     "template: t:1:9: executing \"t\" at <.s>: range can't iterate over hello"),
    PARSE_ERR("{{ break }}", "template: t:1: {{break}} outside {{range}}"),
    PARSE_ERR("{{ if .t }}x", "template: t:1: unexpected EOF"),
    PARSE_ERR("{{ end }}", "template: t:1: unexpected {{end}}"),
    PARSE_ERR("a\n{{ if }}{{ end }}", "template: t:2: missing value for if"),
    PARSE_ERR("{{ .s ", "template: t:1: unclosed action"),
    PARSE_ERR("{{ nope 1 }}", "template: t:1: function \"nope\" not defined"),
    PARSE_ERR("{{ env \"HOME\" }}", "template: t:1: function \"env\" not defined"),
    PARSE_ERR("{{ expandenv \"$HOME\" }}", "template: t:1: function \"expandenv\" not defined"),
    PARSE_ERR("x\n\n{{ \"abc }}", "template: t:3: unterminated quoted string"),
    PARSE_ERR("{{ /* x */ }}", "template: t:1: unrecognized character in action: U+002F '/'"),
    /* define / template / block */
    OK("{{ define \"x\" }}[{{ . }}]{{ end }}{{ template \"x\" .s }}{{ template \"x\" }}",
       "[hello][<no value>]"),
    OK("{{ block \"b\" .num }}<{{ . }}>{{ end }}", "<3>"),
    EXEC_ERR(
	"{{ template \"nope\" }}",
	"template: t:1:3: executing \"t\" at <template \"nope\">: template \"nope\" not defined"),
    EXEC_ERR("{{ define \"r\" }}{{ template \"r\" . }}{{ end }}{{ template \"r\" }}",
	     "template: t:1:19: executing \"r\" at <template \"r\" .>: exceeded maximum template "
	     "depth (100)"),
    /* pipelines and parentheses */
    OK("{{ .s | upper }} {{ \"a\" | printf \"%s-%s\" \"b\" }} {{ (print 1 2) | len }}",
       "HELLO b-a 3"),
    OK("{{ .list | join \",\" | upper }}", "X,Y,Z"),
    EXEC_ERR("{{ .s | .num }}", "template: t:1:8: executing \"t\" at <.num>: num has arguments but "
				"cannot be invoked as function"),
    EXEC_ERR("{{ nil }}", "template: t:1:3: executing \"t\" at <nil>: nil is not a command"),
    /* comparisons */
    OK("{{ eq .s \"hello\" }} {{ eq 1 2 3 1 }} {{ ne .s \"x\" }} {{ lt 1 2 }} {{ le 2 2 }} {{ gt "
       "\"b\" \"a\" }} {{ ge 1.5 2.5 }}",
       "true true true true true true false"),
    OK("{{ eq .n nil }} {{ eq .s nil }} {{ eq .num 3.0 }}", "true false true"),
    EXEC_ERR("{{ eq .num 3 }}", "template: t:1:3: executing \"t\" at <eq .num 3>: error calling "
				"eq: incompatible types for comparison"),
    EXEC_ERR("{{ lt .t .f }}", "template: t:1:3: executing \"t\" at <lt .t .f>: error calling lt: "
			       "invalid type for comparison"),
    /* builtins */
    OK("{{ len .list }} {{ len .map }} {{ len .s }} {{ index .list 2 }} {{ index .map \"c\" }} {{ "
       "index .nested \"m\" \"k\" 0 }}",
       "3 3 5 z x 1"),
    OK("{{ slice .s 1 3 }} {{ slice .list 1 }} {{ index .s 0 }}", "el [y z] 104"),
    EXEC_ERR("{{ index .list 5 }}", "template: t:1:3: executing \"t\" at <index .list 5>: error "
				    "calling index: index out of range: 5"),
    EXEC_ERR("{{ len 3 }}",
	     "template: t:1:3: executing \"t\" at <len 3>: error calling len: len of type int"),
    EXEC_ERR(
	"{{ len }}",
	"template: t:1:3: executing \"t\" at <len>: wrong number of args for len: want 1 got 0"),
    OK("{{ print \"a\" 1 2 \"b\" }}|{{ println 1 \"a\" }}|{{ print .t .n }}",
       "a1 2b|1 a\n|true <nil>"),
    OK("{{ html .html }} {{ js \"a'b\\\"<\" }} {{ urlquery \"a b&c\" }}",
       "&lt;a&amp;b&gt; a\\'b\\\"\\u003C a+b%26c"),
    /* printf */
    OK("{{ printf \"%d|%5d|%-4d|%04d|%x|%X|%o|%b|%c|%q\" 42 42 42 42 255 255 8 5 65 66 }}",
       "42|   42|42  |0042|ff|FF|10|101|A|'B'"),
    OK("{{ printf \"%s|%q|%v|%10s|%-3s|%.2s|%x\" \"ab\" \"a\\\"b\" .list \"r\" \"l\" \"abc\" "
       "\"hi\" }}",
       "ab|\"a\\\"b\"|[x y z]|         r|l  |ab|6869"),
    OK("{{ printf \"%v %.2f %f %e %g %t %T %T %%\" .num 3.14159 1.5 1234.5 0.5 true .map 1 }}",
       "3 3.14 1.500000 1.234500e+03 0.5 true map[string]interface {} int %"),
    OK("{{ printf \"%d %s\" \"x\" 1 }}|{{ printf \"%d\" }}|{{ printf \"x\" 1 }}",
       "%!d(string=x) %!s(int=1)|%!d(MISSING)|x%!(EXTRA int=1)"),
    OK("{{ printf \"%v %d\" .Token.exp .Token.exp }}", "1.7e+09 %!d(float64=1.7e+09)"),
    /* step's leaf template */
    OK(LEAF,
       "{\"subject\": {\"commonName\":\"a\"}, \"sans\": "
       "[{\"type\":\"dns\",\"value\":\"a.example.com\"}], \"keyUsage\": [\"keyEncipherment\", "
       "\"digitalSignature\"], \"extKeyUsage\": [\"serverAuth\", \"clientAuth\"]}"),
    OKD(LEAF,
	"{\"Subject\": {\"@json\": {\"commonName\": \"b\"}}, \"SANs\": [], \"Insecure\": {\"CR\": "
	"{\"PublicKey\": {\"@type\": \"*ecdsa.PublicKey\"}}}}",
	"{\"subject\": {\"commonName\":\"b\"}, \"sans\": [], \"keyUsage\": [\"digitalSignature\"], "
	"\"extKeyUsage\": [\"serverAuth\", \"clientAuth\"]}"),
    OKD(EXAMPLE, EXAMPLE_DATA("{\"@type\": \"*ecdsa.PublicKey\"}"),
	"{\n\t\"subject\": {\"commonName\":\"jane\"},\n\t\"sans\": [],\n\t\"emailAddresses\": "
	"[\"jane@example.com\"],\n\t\"uris\": \"https://idp#1234\",\n\t\"notAfter\": "
	"\"2030-01-01T00:00:00Z\",\n\t\"keyUsage\": [\"digitalSignature\"],\n\t\"extKeyUsage\": "
	"[\"serverAuth\", \"clientAuth\"]\n}"),
    OKD(EXAMPLE, EXAMPLE_DATA("{\"@type\": \"*rsa.PublicKey\", \"Size\": 384}"),
	"{\n\t\"subject\": {\"commonName\":\"jane\"},\n\t\"sans\": [],\n\t\"emailAddresses\": "
	"[\"jane@example.com\"],\n\t\"uris\": \"https://idp#1234\",\n\t\"notAfter\": "
	"\"2030-01-01T00:00:00Z\",\n\t\"keyUsage\": [\"keyEncipherment\", "
	"\"digitalSignature\"],\n\t\"extKeyUsage\": "
	"[\"serverAuth\", \"clientAuth\"]\n}"),
    {EXAMPLE, "Key length must be at least 3072 bits", ERR_NOT_FOUND,
     EXAMPLE_DATA("{\"@type\": \"*rsa.PublicKey\", \"Size\": 256}")},
    OK("{{ typeOf .Insecure.CR.PublicKey.Size }} {{ typeOf .Insecure.CR.PublicKeyAlgorithm }} {{ "
       "typeOf .Token.exp }}",
       "int int float64"),
    /* fail and required */
    FAIL("{{ if not .Insecure.User.team }}{{ fail \"team is required\" }}{{ end }}",
	 "team is required"),
    FAIL("{{ fail (printf \"%s not allowed\" .s) }}", "hello not allowed"),
    EXEC_ERR("{{ required \"the role is required\" .Insecure.User.nope }}",
	     "template: t:1:3: executing \"t\" at <required \"the role i...>: error calling "
	     "required: the role is required"),
    EXEC_ERR("{{ required \"empty\" .empty }}", "template: t:1:3: executing \"t\" at <required "
						"\"empty\" .em...>: error calling required: empty"),
    OK("{{ required \"x\" .Insecure.User.role }}", "ops"),
    /* sprig: defaults */
    OK("{{ default \"d\" .missing }} {{ default \"d\" .empty }} {{ default \"d\" .s }} {{ .missing "
       "| default \"p\" }} {{ default 5 0 }}",
       "d d hello p 5"),
    OK("{{ empty .empty }} {{ empty .map }} {{ empty .Subject }} {{ empty 0 }} {{ empty .f }} {{ "
       "empty .list }}",
       "true false false true true false"),
    OK("{{ coalesce .n .empty .s }} {{ ternary \"y\" \"n\" .t }} {{ ternary 1 2 false }}",
       "hello y 2"),
    /* sprig: JSON */
    OK("{{ toJson .map }} {{ toJson .html }} {{ toRawJson .html }} {{ toJson .Token.exp }} {{ "
       "toJson .nums }} {{ toJson .n }} {{ toJson .missing }}",
       "{\"a\":1,\"b\":2,\"c\":\"x\"} \"\\u003ca\\u0026b\\u003e\" \"<a&b>\" 1700000000 "
       "[1,2.5,1000000] null null"),
    OK("{{ toPrettyJson .Insecure.User }}|{{ toPrettyJson (list) }}|{{ toPrettyJson (dict \"a\" "
       "(list 1)) }}",
       "{\n  \"role\": \"ops\"\n}|[]|{\n  \"a\": [\n    1\n  ]\n}"),
    OK("{{ $j := fromJson \"{\\\"a\\\": [1, 2], \\\"b\\\": 1e21}\" }}{{ $j.a }} {{ $j.b }} {{ "
       "toJson $j }} {{ fromJson \"bad\" }}",
       "[1 2] 1e+21 {\"a\":[1,2],\"b\":1e+21} <no value>"),
    OK("{{ toJson 0.0000001 }} {{ toJson 1e20 }} {{ toJson \"\\u2028\" }}",
       "1e-7 100000000000000000000 \"\\u2028\""),
    /* sprig: lists and dicts */
    OK("{{ list 1 \"a\" .t }} {{ first .list }} {{ last .list }} {{ rest .list }} {{ initial .list "
       "}}",
       "[1 a true] x z [y z] [x y]"),
    OK("{{ append .list \"w\" }} {{ prepend .list \"w\" }} {{ concat .list (list 1) }} {{ .list }}",
       "[x y z w] [w x y z] [x y z 1] [x y z]"),
    OK("{{ has \"y\" .list }} {{ has 1 .list }} {{ uniq (list 1 2 1 \"a\" \"a\") }} {{ without "
       ".list \"y\" }} {{ compact (list 0 1 \"\" \"a\") }}",
       "true false [1 2 a] [x z] [1 a]"),
    OK("{{ $d := dict \"b\" 1 \"a\" \"x\" }}{{ $d }} {{ get $d \"a\" }} {{ get $d \"zz\" }} {{ "
       "hasKey $d \"b\" }} {{ keys $d }} {{ values $d }}",
       "map[a:x b:1] x  true [a b] [x 1]"),
    OK("{{ $d := dict }}{{ $_ := set $d \"k\" 1 }}{{ $d }} {{ unset $d \"k\" }} {{ dict \"odd\" }}",
       "map[k:1] map[] map[odd:]"),
    OK("{{ pluck \"a\" (dict \"a\" 1) (dict \"b\" 2) (dict \"a\" 3) }} {{ merge (dict \"a\" 1) "
       "(dict \"a\" 2 \"b\" 3) }}",
       "[1 3] map[a:1 b:3]"),
    OK("{{ deepEqual .list (list \"x\" \"y\" \"z\") }} {{ deepEqual 1 1.0 }} {{ reverse .list }} "
       "{{ sortAlpha (list \"b\" \"a\") }}",
       "true false [z y x] [a b]"),
    /* sprig: strings */
    OK("{{ trim \"  a b \\n\" }}|{{ trimAll \"$\" \"$$a$\" }}|{{ trimPrefix \"he\" .s }}|{{ "
       "trimSuffix \"lo\" .s }}",
       "a b|a|llo|hel"),
    OK("{{ upper .s }} {{ lower \"ABC\" }} {{ title \"hello world\" }} {{ replace \"l\" \"L\" .s "
       "}} {{ repeat 3 \"ab\" }}",
       "HELLO abc Hello World heLLo ababab"),
    OK("{{ substr 1 3 .s }} {{ substr 2 -1 .s }} {{ trunc 2 .s }} {{ trunc -2 .s }}",
       "el llo he lo"),
    OK("{{ contains \"ell\" .s }} {{ hasPrefix \"he\" .s }} {{ hasSuffix \"x\" .s }}",
       "true true false"),
    OK("{{ quote .s 1 }} {{ squote .s }} {{ cat \"a\" 1 .n \"b\" }}",
       "\"hello\" \"1\" 'hello' a 1 b"),
    OK("{{ indent 2 \"a\\nb\" }}|{{ nindent 2 \"a\" }}", "  a\n  b|\n  a"),
    OK("{{ join \",\" .list }} {{ join \"-\" (list 1 nil \"a\") }} {{ split \",\" \"a,b\" }} {{ "
       "splitList \",\" \"a,,b\" }} {{ (split \"@\" .Token.email)._1 }}",
       "x,y,z 1-a map[_0:a _1:b] [a  b] example.com"),
    OK("{{ regexMatch \"^[a-z]+@example\\\\.com$\" .Token.email }} {{ regexFind \"[0-9]+\" "
       "\"ab123cd45\" }} {{ regexReplaceAll \"a(x*)b\" \"-ab-axxb-\" \"${1}W\" }} {{ regexMatch "
       "\"\\\\d+\" \"a1\" }}",
       "true 123 -W-xxW- true"),
    OK("{{ b64enc \"hello\" }} {{ b64dec \"aGVsbG8=\" }} {{ b32enc \"hi\" }} {{ b32dec "
       "\"NBUQ====\" }} {{ b64dec \"@@\" }}",
       "aGVsbG8= hello NBUQ==== hi illegal base64 data at input byte 0"),
    OK("{{ sha256sum \"abc\" }}",
       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    OK("{{ toString 1 }} {{ toString .Token.exp }} {{ toStrings (list 1 \"a\" nil) }} {{ typeOf "
       "(toStrings .list) }}",
       "1 1.7e+09 [1 a] []interface {}"),
    /* sprig: numbers */
    OK("{{ int \"42\" }} {{ int .Token.exp }} {{ int64 2.9 }} {{ float64 \"1.5\" }} {{ atoi \"12\" "
       "}} {{ atoi \"x\" }}",
       "42 1700000000 2 1.5 12 0"),
    OK("{{ add 1 2 3 }} {{ add1 .num }} {{ sub 5 7 }} {{ mul 2 3 4 }} {{ div 7 2 }} {{ mod 7 2 }} "
       "{{ max 1 9 3 }} {{ min 4 2 8 }}",
       "6 4 -2 24 3 1 9 2"),
    EXEC_ERR("{{ div 1 0 }}", "template: t:1:3: executing \"t\" at <div 1 0>: error calling div: "
			      "runtime error: integer divide by zero"),
    /* sprig: reflection */
    OK("{{ typeOf .s }} {{ typeOf .num }} {{ typeOf 1 }} {{ typeOf .list }} {{ typeOf .map }} {{ "
       "typeOf .n }} {{ typeOf .Insecure.CR.PublicKey }}",
       "string float64 int []interface {} map[string]interface {} <nil> *rsa.PublicKey"),
    OK("{{ kindOf .s }} {{ kindOf .list }} {{ kindOf .map }} {{ kindOf .Subject }} {{ kindOf "
       ".Insecure.CR }} {{ kindIs \"slice\" .list }} {{ typeIs \"string\" .s }}",
       "string slice map struct ptr true true"),
    /* time */
    OK("{{ .Token.exp | toTime }} {{ .Token.exp | formatTime }} {{ toTime 0 | date \"2006-01-02\" "
       "}}",
       "2023-11-14 22:13:20 +0000 UTC 2023-11-14T22:13:20Z 1970-01-01"),
    OK("{{ $t := parseTime \"2024-07-02T23:16:02+02:00\" }}{{ $t }} {{ unixEpoch $t }} {{ date "
       "\"Mon Jan _2 15:04:05 MST 2006\" $t }}",
       "2024-07-02 23:16:02 +0200 +0200 1719954962 Tue Jul  2 21:16:02 UTC 2024"),
    OK("{{ toTimeLayout \"time.RFC3339\" }} {{ toTimeLayout \"UnixDate\" }} {{ toTimeLayout \"x\" "
       "}}",
       "2006-01-02T15:04:05Z07:00 Mon Jan _2 15:04:05 MST 2006 x"),
    OK("{{ parseTime \"time.DateOnly\" \"2024-02-29\" | formatTime }} {{ parseTime \"nope\" }} {{ "
       "toDate \"2006-01-02\" \"2020-05-06\" | unixEpoch }}",
       "2024-02-29T00:00:00Z 0001-01-01 00:00:00 +0000 UTC 1588723200"),
    EXEC_ERR("{{ mustParseTime \"nope\" }}",
	     "template: t:1:3: executing \"t\" at <mustParseTime \"nope\">: error calling "
	     "mustParseTime: parsing time \"nope\" as \"2006-01-02T15:04:05Z07:00\": cannot parse "
	     "\"nope\""),
    OK("{{ duration \"95\" }} {{ toJson (parseTime \"2024-07-02T23:16:02.5Z\") }} {{ typeOf now }}",
       "1m35s \"2024-07-02T23:16:02.5Z\" time.Time"),
    OK("{{ (toTime .Token.exp).Unix }} {{ (toTime .Token.exp).Year }} {{ (toTime 1).Second }} {{ "
       "(parseTime \"x\").IsZero }}",
       "1700000000 2023 1 true"),
    /* step's ASN.1 helpers for custom extensions */
    OK("{{ asn1Enc \"int:1234\" }} {{ asn1Enc \"foo\" }} {{ asn1Enc \"utf8:\u00e9\" }} {{ asn1Enc "
       "\"oid:1.2.840.113549\" }}",
       "AgIE0g== EwNmb28= DALDqQ== BgYqhkiG9w0="),
    OK("{{ asn1Seq (asn1Enc \"int:1\") (asn1Enc \"ia5:a\") }} {{ asn1Set (asn1Enc \"int:1\") "
       "(asn1Enc \"int:2\") }} {{ asn1Enc \"raw:MAMCAQE=\" }}",
       "MAYCAQEWAWE= MQYCAQECAQI= MAMCAQE="),
    OK("{{ asn1Enc \"utc:2026-01-01T00:00:00Z\" }} {{ asn1Enc \"generalized:2060-01-01T00:00:00Z\" "
       "}} {{ asn1Enc \"int:255\" }} {{ asn1Enc \"int:-1\" }} {{ asn1Enc \"int:128\" }}",
       "Fw0yNjAxMDEwMDAwMDBa GA8yMDYwMDEwMTAwMDAwMFo= AgIA/w== AgH/ AgIAgA=="),
    OK("{{ asn1Marshal \"x\" }} {{ asn1Marshal 5 }} {{ asn1Marshal \"x\" \"utf8\" }} {{ "
       "asn1Marshal (list 1) }}",
       "EwF4 AgEF DAF4 MAMCAQE="),
    EXEC_ERR("{{ asn1Enc \"printable:a@b\" }}",
	     "template: t:1:3: executing \"t\" at <asn1Enc \"printable:a...>: error calling "
	     "asn1Enc: invalid printable value"),
    EXEC_ERR("{{ asn1Enc \"int:x\" }}",
	     "template: t:1:3: executing \"t\" at <asn1Enc \"int:x\">: error calling asn1Enc: "
	     "invalid int value: strconv.Atoi: parsing \"x\": invalid syntax"),
    /* limits */
    EXEC_ERR("{{ $x := list }}{{ range 100 }}{{ $x = list $x }}{{ end }}",
	     "template: t:1:39: executing \"t\" at <list $x>: error calling list: value nested "
	     "deeper than 64 levels"),
    EXEC_ERR("{{ range $i, $e := repeat 100 \"x\" | splitList \"\" }}{{ range $j, $f := repeat 100 "
	     "\"y\" | splitList \"\" }}{{ range $k, $g := repeat 101 \"z\" | splitList \"\" }}{{ "
	     "end }}{{ end }}{{ end }}",
	     "template: t:1:111: executing \"t\" at <$k, $g := repeat 101...>: template execution "
	     "exceeds 1000000 steps"),
};

static json_t *load(const char *s)
{
	json_error_t je;
	json_t *j = json_loads(s, 0, &je);

	if (j == NULL)
		fail_msg("bad test data: %s", je.text);
	return j;
}

static void test_template_table(void **state)
{
	json_t *data = load(DATA);
	int failures = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tcase *c = &cases[i];
		struct tpl *t = NULL;
		struct error err = {0};
		struct buf out;
		json_t *d = c->data ? load(c->data) : json_incref(data);
		int r = tpl_parse("t", c->src, strlen(c->src), &t, &err);

		buf_init(&out, 2 * 1024 * 1024);
		if (r == 0)
			r = tpl_execute(t, d, &out, &err);
		const char *got = r == 0 ? (out.data ? (const char *)out.data : "") : err.msg;
		bool ok;
		if (c->kind == ERR_NONE)
			ok = r == 0 && strcmp(got, c->want) == 0;
		else if (c->kind == ERR_NOT_FOUND) /* fail */
			ok = r != 0 && err.kind == ERR_INVALID && err.expose &&
			     strcmp(got, c->want) == 0;
		else
			ok = r != 0 && err.kind == c->kind && !err.expose &&
			     strcmp(got, c->want) == 0;
		if (!ok) {
			failures++;
			fprintf(stderr, "case %zu: %s\n  want (%d): %s\n  got  (%d): %s\n", i,
				c->src, c->kind, c->want, r ? err.kind : 0, got);
		}
		buf_free(&out);
		tpl_free(t);
		json_decref(d);
	}
	json_decref(data);
	fprintf(stderr, "template table: %zu cases, %d failures\n",
		sizeof(cases) / sizeof(cases[0]), failures);
	assert_int_equal(failures, 0);
}

/* Output, nesting and memory limits end with errors, not crashes. */
static void test_template_limits(void **state)
{
	struct tpl *t = NULL;
	struct error err = {0};
	struct buf out;
	char src[1024];
	(void)state;

	/* output over 1 MiB */
	const char *big = "{{ range $i, $e := repeat 2000 \"x\" | splitList \"\" }}"
			  "{{ repeat 1000 \"y\" }}{{ end }}";
	assert_int_equal(tpl_parse("big", big, strlen(big), &t, &err), 0);
	buf_init(&out, 8 * 1024 * 1024);
	assert_int_equal(tpl_execute(t, NULL, &out, &err), -1);
	assert_int_equal(err.kind, ERR_INTERNAL);
	assert_non_null(strstr(err.msg, "template output exceeds 1048576 bytes"));
	assert_int_equal(out.len, 0);
	buf_free(&out);
	tpl_free(t);

	/* a repeat beyond the string limit */
	const char *rep = "{{ repeat 2000000 \"x\" }}";
	assert_int_equal(tpl_parse("rep", rep, strlen(rep), &t, &err), 0);
	buf_init(&out, 8 * 1024 * 1024);
	assert_int_equal(tpl_execute(t, NULL, &out, &err), -1);
	assert_string_equal(err.msg,
			    "template: rep:1:3: executing \"rep\" at <repeat 2000000 \"x\">: "
			    "error calling repeat: repeat: result longer than 1048576 bytes");
	buf_free(&out);
	tpl_free(t);

	/* deep parentheses and blocks are refused at parse time */
	size_t n = 0;
	n += (size_t)snprintf(src + n, sizeof(src) - n, "{{ ");
	for (int i = 0; i < 150; i++)
		src[n++] = '(';
	src[n] = '\0';
	assert_int_equal(tpl_parse("deep", src, n, &t, &err), -1);
	assert_int_equal(err.kind, ERR_INVALID);
	assert_string_equal(err.msg, "template: deep:1: too deeply nested");
	assert_null(t);

	/* nested blocks inside recursive templates: bounded before the stack is */
	{
		char rec[2048];
		size_t w = 0;
		w += (size_t)snprintf(rec + w, sizeof(rec) - w, "{{ define \"r\" }}");
		for (int i = 0; i < 15; i++)
			w += (size_t)snprintf(rec + w, sizeof(rec) - w, "{{ if 1 }}");
		w += (size_t)snprintf(rec + w, sizeof(rec) - w, "{{ template \"r\" . }}");
		for (int i = 0; i < 15; i++)
			w += (size_t)snprintf(rec + w, sizeof(rec) - w, "{{ end }}");
		w += (size_t)snprintf(rec + w, sizeof(rec) - w, "{{ end }}{{ template \"r\" }}");
		assert_int_equal(tpl_parse("rec", rec, w, &t, &err), 0);
		buf_init(&out, 1024);
		assert_int_equal(tpl_execute(t, NULL, &out, &err), -1);
		assert_int_equal(err.kind, ERR_INTERNAL);
		assert_non_null(strstr(err.msg, ": template nesting exceeds 1000 levels"));
		buf_free(&out);
		tpl_free(t);
	}

	/* the output buffer keeps what was there before a failed execution */
	const char *f = "abc{{ fail \"no\" }}";
	assert_int_equal(tpl_parse("f", f, strlen(f), &t, &err), 0);
	buf_init(&out, 1024);
	assert_int_equal(buf_append_str(&out, "keep", &err), 0);
	assert_int_equal(tpl_execute(t, NULL, &out, &err), -1);
	assert_int_equal(err.kind, ERR_INVALID);
	assert_true(err.expose);
	assert_string_equal(err.msg, "no");
	assert_string_equal((const char *)out.data, "keep");
	buf_free(&out);
	tpl_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_template_table),
	    cmocka_unit_test(test_template_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
