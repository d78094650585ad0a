// stepca-keys: writes encrypted key fixtures with the Debian go.step.sm/crypto
// (pemutil / jose) so that stride can prove it reads what step writes.
// Written for stride's interop harness.
//
// Usage: stepca-keys --out DIR --password-file FILE
// For every fixture NAME it writes NAME.pem or NAME.jwe plus NAME.json with the
// expected public key, JWK thumbprint (RFC 7638, SHA-256, base64url) and format.
package main

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"go.step.sm/crypto/jose"
	"go.step.sm/crypto/pemutil"
	"go.step.sm/crypto/randutil"
)

var outDir string
var password []byte

func main() {
	flag.StringVar(&outDir, "out", "", "output directory (required)")
	passFile := flag.String("password-file", "", "file with the password (required)")
	flag.Parse()
	if outDir == "" || *passFile == "" {
		fmt.Fprintln(os.Stderr, "stepca-keys: --out and --password-file are required")
		os.Exit(2)
	}
	p, err := os.ReadFile(*passFile)
	check(err, "password file")
	password = bytes.TrimRight(p, "\r\n")
	check(os.MkdirAll(outDir, 0755), "mkdir")

	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	check(err, "ed25519")
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	check(err, "p256")
	ecKey2, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	check(err, "p256")

	// Ed25519 is always PKCS#8 in pemutil; this version encodes the PBKDF2 PRF
	// AlgorithmIdentifier parameters as 00 00 (the malformed form).
	writePEM("ed25519_pkcs8_encrypted", edKey,
		"PKCS#8 EncryptedPrivateKeyInfo, PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC; prf AlgorithmIdentifier parameters are the two bytes 00 00 (not NULL 05 00), which OpenSSL 3 rejects; pemutil.Serialize(ed25519, WithPassword)")
	writePEM("p256_pkcs8_encrypted", ecKey,
		"PKCS#8 EncryptedPrivateKeyInfo, PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC; prf AlgorithmIdentifier parameters are the two bytes 00 00 (not NULL 05 00), which OpenSSL 3 rejects; pemutil.Serialize(ecdsa, WithPKCS8(true), WithPassword)",
		pemutil.WithPKCS8(true))
	writePEM("p256_legacy_encrypted", ecKey2,
		"RFC 1423 legacy PEM: Proc-Type 4,ENCRYPTED, DEK-Info AES-256-CBC, EC PRIVATE KEY (SEC1); pemutil.Serialize(ecdsa, WithPassword) as used for step's CA keys")

	// The JWK provisioner key exactly as `step ca init` makes it:
	// EC P-256 ES256 JWK, kid = thumbprint, PBES2-HS256+A128KW / A256GCM, p2c 100000.
	pub, jwe, err := jose.GenerateDefaultKeyPair(password)
	check(err, "GenerateDefaultKeyPair")
	compact, err := jwe.CompactSerialize()
	check(err, "serialize jwe")
	writeJWE("jwk_p256_a256gcm", compact, pub,
		"compact JWE, go.step.sm/crypto jose.GenerateDefaultKeyPair (step ca init provisioner key)")

	// Same key-wrap, but A128GCM content encryption and an Ed25519 (OKP) JWK.
	edJWK := &jose.JSONWebKey{Key: edKey, Algorithm: "EdDSA", Use: "sig"}
	edJWK.KeyID, err = jose.Thumbprint(edJWK)
	check(err, "thumbprint")
	plain, err := json.Marshal(edJWK)
	check(err, "marshal okp")
	salt, err := randutil.Salt(jose.PBKDF2SaltSize)
	check(err, "salt")
	enc, err := jose.NewEncrypter(jose.A128GCM, jose.Recipient{
		Algorithm: jose.PBES2_HS256_A128KW, Key: password,
		PBES2Count: jose.PBKDF2Iterations, PBES2Salt: salt,
	}, new(jose.EncrypterOptions).WithContentType("jwk+json"))
	check(err, "encrypter")
	obj, err := enc.Encrypt(plain)
	check(err, "encrypt okp")
	compact, err = obj.CompactSerialize()
	check(err, "serialize okp")
	edPub := edJWK.Public()
	writeJWE("jwk_ed25519_a128gcm", compact, &edPub,
		"compact JWE, go-jose PBES2-HS256+A128KW / A128GCM, cty jwk+json, Ed25519 OKP JWK")
}

func writePEM(name string, key crypto.Signer, format string, opts ...pemutil.Options) {
	block, err := pemutil.Serialize(key, append(opts, pemutil.WithPassword(password))...)
	check(err, name)
	data := pem.EncodeToMemory(block)
	// Self-check: pemutil must read it back to the same key.
	back, err := pemutil.ParseKey(data, pemutil.WithPassword(password))
	check(err, name+" read back")
	if !reflect.DeepEqual(back, key) && !reflect.DeepEqual(back, ptrOrVal(key)) {
		check(fmt.Errorf("key mismatch after read back"), name)
	}
	check(os.WriteFile(filepath.Join(outDir, name+".pem"), data, 0644), name)

	spki, err := x509.MarshalPKIXPublicKey(key.Public())
	check(err, name+" spki")
	jwk := jose.JSONWebKey{Key: key.Public()}
	tp, err := jose.Thumbprint(&jwk)
	check(err, name+" thumbprint")
	info := map[string]interface{}{
		"file":                    name + ".pem",
		"password":                string(password),
		"format":                  format,
		"pem_type":                block.Type,
		"pbkdf2_iterations":       pbkdf2Iterations(block),
		"public_key_pem":          string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki})),
		"public_key_spki_der_hex": hex.EncodeToString(spki),
		"jwk_thumbprint":          tp,
	}
	switch k := key.(type) {
	case ed25519.PrivateKey:
		info["key_type"] = "Ed25519"
		info["public_key_raw_hex"] = hex.EncodeToString(k.Public().(ed25519.PublicKey))
	case *ecdsa.PrivateKey:
		info["key_type"] = "EC P-256"
		info["public_key_raw_hex"] = hex.EncodeToString(elliptic.Marshal(k.Curve, k.X, k.Y))
	}
	writeJSON(name, info)
}

func writeJWE(name, compact string, pub *jose.JSONWebKey, format string) {
	// Self-check: decrypt again and compare the public part.
	obj, err := jose.ParseEncrypted(compact)
	check(err, name+" parse")
	plain, err := obj.Decrypt(password)
	check(err, name+" decrypt")
	var priv jose.JSONWebKey
	check(json.Unmarshal(plain, &priv), name+" unmarshal")
	tp, err := jose.Thumbprint(pub)
	check(err, name+" thumbprint")
	tp2, err := jose.Thumbprint(&priv)
	check(err, name+" thumbprint2")
	if tp != tp2 {
		check(fmt.Errorf("thumbprint mismatch"), name)
	}
	check(os.WriteFile(filepath.Join(outDir, name+".jwe"), []byte(compact+"\n"), 0644), name)

	pubJSON, err := json.Marshal(pub)
	check(err, name+" public jwk")
	// The protected header, read directly from the first compact segment.
	hdrJSON, err := base64.RawURLEncoding.DecodeString(strings.SplitN(compact, ".", 2)[0])
	check(err, name+" header")
	var hdr map[string]interface{}
	check(json.Unmarshal(hdrJSON, &hdr), name+" header json")
	info := map[string]interface{}{
		"file":           name + ".jwe",
		"password":       string(password),
		"format":         format,
		"alg":            hdr["alg"],
		"enc":            hdr["enc"],
		"cty":            hdr["cty"],
		"p2c":            hdr["p2c"],
		"kid":            priv.KeyID,
		"jwk_thumbprint": tp,
		"public_jwk":     json.RawMessage(pubJSON),
	}
	writeJSON(name, info)
}

func writeJSON(name string, v interface{}) {
	b, err := json.MarshalIndent(v, "", "  ")
	check(err, name+" json")
	check(os.WriteFile(filepath.Join(outDir, name+".json"), append(b, '\n'), 0644), name)
}

func ptrOrVal(k crypto.Signer) interface{} {
	if e, ok := k.(ed25519.PrivateKey); ok {
		return &e
	}
	return k
}

func check(err error, what string) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "stepca-keys: %s: %v\n", what, err)
		os.Exit(1)
	}
}

// pbkdf2Iterations is the PBKDF2 count of a PKCS#8 block, or null for legacy PEM.
func pbkdf2Iterations(b *pem.Block) interface{} {
	if b.Type != "ENCRYPTED PRIVATE KEY" {
		return nil
	}
	return pemutil.PBKDF2Iterations
}
