// stepca-client: drives a step-ca compatible CA with the Go client package of
// step-ca 0.19 (Debian sources) and checks every answer. Written for stride's
// interop harness; prints "ok <step>", "FAIL <step>: <err>" or
// "skip <step>: ..." per step and exits 1 if any step failed or was skipped
// because of a failure.
//
// Usage:
//
//	stepca-client --ca-url URL --fingerprint SHA256 --provisioner NAME \
//	    --password-file FILE [--subject CN] [--skip step,step...]
package main

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"time"

	"github.com/smallstep/certificates/api"
	"github.com/smallstep/certificates/authority/provisioner"
	"github.com/smallstep/certificates/ca"
	"go.step.sm/cli-utils/token"
	"go.step.sm/cli-utils/token/provision"
	"go.step.sm/crypto/jose"
	"go.step.sm/crypto/randutil"
)

// step's provisioner extension, carried by every certificate the CA signs.
var oidStepProvisioner = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 37476, 9000, 64, 1}

type state struct {
	caURL, fp, provName, subject string
	password                     []byte

	client   *ca.Client
	root     *x509.Certificate
	prov     *provisioner.JWK
	encKey   string
	jwk      *jose.JSONWebKey
	ott      string
	leaf     *x509.Certificate
	inter    *x509.Certificate
	leafKey  crypto.PrivateKey
	leafTLS  tls.Certificate
	rekeyTLS tls.Certificate
	rekeyed  *x509.Certificate
}

type step struct {
	name string
	deps []string
	run  func(s *state) error
}

func main() {
	s := &state{}
	flag.StringVar(&s.caURL, "ca-url", "", "CA URL, e.g. https://127.0.0.1:9000 (required)")
	flag.StringVar(&s.fp, "fingerprint", "", "SHA-256 fingerprint of the root (hex, required)")
	flag.StringVar(&s.provName, "provisioner", "admin@example.com", "JWK provisioner name")
	passFile := flag.String("password-file", "", "file with the provisioner password (required)")
	flag.StringVar(&s.subject, "subject", "interop.stride.test", "CN / DNS SAN of the test certificate")
	skip := flag.String("skip", "", "comma-separated steps to skip (e.g. renew,rekey,revoke)")
	flag.Parse()
	if s.caURL == "" || s.fp == "" || *passFile == "" {
		fmt.Fprintln(os.Stderr, "stepca-client: --ca-url, --fingerprint and --password-file are required")
		os.Exit(2)
	}
	reexecWithScratchStepPath()
	p, err := os.ReadFile(*passFile)
	if err != nil {
		fmt.Fprintf(os.Stderr, "stepca-client: %v\n", err)
		os.Exit(2)
	}
	s.password = bytes.TrimRight(p, "\r\n")
	s.fp = strings.ToLower(strings.ReplaceAll(s.fp, ":", ""))

	steps := []step{
		{"bootstrap", nil, stepBootstrap},
		{"health", []string{"bootstrap"}, stepHealth},
		{"version", []string{"bootstrap"}, stepVersion},
		{"root", []string{"bootstrap"}, stepRoot},
		{"root-unknown", []string{"bootstrap"}, stepRootUnknown},
		{"roots", []string{"root"}, stepRoots},
		{"federation", []string{"root"}, stepFederation},
		{"provisioners", []string{"bootstrap"}, stepProvisioners},
		{"provisioner-key", []string{"provisioners"}, stepProvisionerKey},
		{"decrypt-key", []string{"provisioner-key"}, stepDecrypt},
		{"token", []string{"decrypt-key"}, stepToken},
		{"bootstrap-token", []string{"token"}, stepBootstrapToken},
		{"sign", []string{"token", "root"}, stepSign},
		{"verify-chain", []string{"sign"}, stepVerify},
		{"token-replay", []string{"sign"}, stepReplay},
		{"token-bad-signature", []string{"decrypt-key"}, stepBadSignature},
		{"token-wrong-cn", []string{"decrypt-key"}, stepWrongCN},
		{"provisioner-token-sign", []string{"root"}, stepProvisionerToken},
		{"renew", []string{"verify-chain"}, stepRenew},
		{"rekey", []string{"verify-chain"}, stepRekey},
		{"revoke", []string{"rekey"}, stepRevoke},
		{"renew-revoked", []string{"revoke"}, stepRenewRevoked},
	}
	skipped := map[string]bool{}
	for _, n := range strings.Split(*skip, ",") {
		if n = strings.TrimSpace(n); n != "" {
			skipped[n] = true
		}
	}
	done := map[string]bool{}
	failed := 0
	for _, st := range steps {
		if skipped[st.name] {
			fmt.Printf("skip %s: --skip\n", st.name)
			continue
		}
		missing := ""
		for _, d := range st.deps {
			if !done[d] {
				missing = d
				break
			}
		}
		if missing != "" {
			fmt.Printf("skip %s: needs %s\n", st.name, missing)
			if skipped[missing] {
				skipped[st.name] = true // skipped on request, transitively
			} else {
				failed++
			}
			continue
		}
		if err := st.run(s); err != nil {
			fmt.Printf("FAIL %s: %v\n", st.name, err)
			failed++
			continue
		}
		done[st.name] = true
		fmt.Printf("ok %s\n", st.name)
	}
	if failed > 0 {
		fmt.Printf("stepca-client: %d step(s) failed\n", failed)
		os.Exit(1)
	}
	fmt.Println("stepca-client: all steps ok")
}

// reexecWithScratchStepPath keeps the step packages (which create and read
// $STEPPATH at start-up) away from the user's ~/.step.
func reexecWithScratchStepPath() {
	if os.Getenv("STEPPATH") != "" {
		return
	}
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("stepca-client-steppath-%d", os.Getuid()))
	if err := os.MkdirAll(dir, 0700); err != nil {
		return
	}
	os.Setenv("STEPPATH", dir)
	if self, err := os.Executable(); err == nil {
		_ = syscall.Exec(self, os.Args, os.Environ())
	}
}

// statusOf returns the HTTP status carried by a client error, or 0.
func statusOf(err error) int {
	var sc interface{ StatusCode() int }
	if errors.As(err, &sc) {
		return sc.StatusCode()
	}
	return 0
}

func fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}

func stepBootstrap(s *state) error {
	// Downloads /root/<fp> without TLS verification, checks the SHA-256 and
	// pins the root for every later request, like `step ca bootstrap`.
	c, err := ca.NewClient(s.caURL, ca.WithRootSHA256(s.fp))
	if err != nil {
		return err
	}
	s.client = c
	fp, err := c.RootFingerprint()
	if err != nil {
		return fmt.Errorf("RootFingerprint: %w", err)
	}
	if fp != s.fp {
		return fmt.Errorf("verified chain ends at %s, want %s", fp, s.fp)
	}
	return nil
}

func stepHealth(s *state) error {
	h, err := s.client.Health()
	if err != nil {
		return err
	}
	if h.Status != "ok" {
		return fmt.Errorf("status %q, want \"ok\"", h.Status)
	}
	return nil
}

func stepVersion(s *state) error {
	v, err := s.client.Version()
	if err != nil {
		return err
	}
	if v.Version == "" {
		return fmt.Errorf("empty version")
	}
	fmt.Printf("  version %q requireClientAuthentication=%v\n", v.Version, v.RequireClientAuthentication)
	return nil
}

func stepRoot(s *state) error {
	r, err := s.client.Root(s.fp) // the client re-checks the SHA-256
	if err != nil {
		return err
	}
	if r.RootPEM.Certificate == nil {
		return fmt.Errorf("no certificate in response")
	}
	if got := fingerprint(r.RootPEM.Certificate); got != s.fp {
		return fmt.Errorf("root fingerprint %s, want %s", got, s.fp)
	}
	if !r.RootPEM.IsCA || r.RootPEM.CheckSignatureFrom(r.RootPEM.Certificate) != nil {
		return fmt.Errorf("root is not a self-signed CA")
	}
	s.root = r.RootPEM.Certificate
	return nil
}

func stepRootUnknown(s *state) error {
	_, err := s.client.Root(strings.Repeat("0", 64))
	if err == nil {
		return fmt.Errorf("GET /root/000... succeeded")
	}
	if st := statusOf(err); st != http.StatusNotFound {
		return fmt.Errorf("status %d (%v), want 404", st, err)
	}
	return nil
}

func containsRoot(list []api.Certificate, fp string) bool {
	for _, c := range list {
		if c.Certificate != nil && fingerprint(c.Certificate) == fp {
			return true
		}
	}
	return false
}

func stepRoots(s *state) error {
	r, err := s.client.Roots()
	if err != nil {
		return err
	}
	if !containsRoot(r.Certificates, s.fp) {
		return fmt.Errorf("root %s not among %d roots", s.fp, len(r.Certificates))
	}
	return nil
}

func stepFederation(s *state) error {
	r, err := s.client.Federation()
	if err != nil {
		return err
	}
	if !containsRoot(r.Certificates, s.fp) {
		return fmt.Errorf("root %s not among %d federated roots", s.fp, len(r.Certificates))
	}
	return nil
}

func stepProvisioners(s *state) error {
	var all provisioner.List
	cursor := ""
	for page := 0; page < 100; page++ {
		opts := []ca.ProvisionerOption{ca.WithProvisionerLimit(1)}
		if cursor != "" {
			opts = append(opts, ca.WithProvisionerCursor(cursor))
		}
		r, err := s.client.Provisioners(opts...)
		if err != nil {
			return err
		}
		all = append(all, r.Provisioners...)
		if r.NextCursor == "" || len(r.Provisioners) == 0 {
			break
		}
		cursor = r.NextCursor
	}
	full, err := s.client.Provisioners()
	if err != nil {
		return err
	}
	if len(full.Provisioners) != len(all) {
		return fmt.Errorf("paged listing gave %d provisioners, unpaged %d", len(all), len(full.Provisioners))
	}
	for _, p := range all {
		if j, ok := p.(*provisioner.JWK); ok && j.Name == s.provName {
			if j.Key == nil || j.Key.KeyID == "" {
				return fmt.Errorf("provisioner %s has no key/kid", j.Name)
			}
			if j.EncryptedKey == "" {
				return fmt.Errorf("provisioner %s has no encryptedKey", j.Name)
			}
			s.prov = j
			return nil
		}
	}
	return fmt.Errorf("no JWK provisioner named %q among %d", s.provName, len(all))
}

func stepProvisionerKey(s *state) error {
	r, err := s.client.ProvisionerKey(s.prov.Key.KeyID)
	if err != nil {
		return err
	}
	if r.Key != s.prov.EncryptedKey {
		return fmt.Errorf("encrypted key differs from the one in /provisioners")
	}
	if _, err := s.client.ProvisionerKey("no-such-kid"); statusOf(err) != http.StatusNotFound {
		return fmt.Errorf("unknown kid: got %v (status %d), want 404", err, statusOf(err))
	}
	s.encKey = r.Key
	return nil
}

func stepDecrypt(s *state) error {
	enc, err := jose.ParseEncrypted(s.encKey)
	if err != nil {
		return err
	}
	plain, err := enc.Decrypt(s.password)
	if err != nil {
		return err
	}
	jwk := new(jose.JSONWebKey)
	if err := jwk.UnmarshalJSON(plain); err != nil {
		return err
	}
	if jwk.IsPublic() {
		return fmt.Errorf("decrypted JWK is not private")
	}
	tp, err := jose.Thumbprint(jwk)
	if err != nil {
		return err
	}
	ptp, err := jose.Thumbprint(s.prov.Key)
	if err != nil {
		return err
	}
	if tp != ptp || jwk.KeyID != s.prov.Key.KeyID {
		return fmt.Errorf("decrypted key (kid %s, thumbprint %s) does not match provisioner (kid %s, thumbprint %s)",
			jwk.KeyID, tp, s.prov.Key.KeyID, ptp)
	}
	if _, err := enc.Decrypt([]byte("not-the-password")); err == nil {
		return fmt.Errorf("decrypt with a wrong password succeeded")
	}
	s.jwk = jwk
	return nil
}

// makeToken builds a JWK one-time token the way `step ca token` does.
func makeToken(s *state, key *jose.JSONWebKey, subject string, sans []string) (string, error) {
	jti, err := randutil.Hex(64)
	if err != nil {
		return "", err
	}
	aud, err := url.Parse(s.caURL)
	if err != nil {
		return "", err
	}
	aud = aud.ResolveReference(&url.URL{Path: "/1.0/sign"})
	now := time.Now()
	tok, err := provision.New(subject,
		token.WithJWTID(jti),
		token.WithKid(key.KeyID),
		token.WithIssuer(s.provName),
		token.WithAudience(aud.String()),
		token.WithValidity(now, now.Add(5*time.Minute)),
		token.WithSANS(sans),
		token.WithSHA(s.fp),
	)
	if err != nil {
		return "", err
	}
	alg := key.Algorithm
	if alg == "" {
		alg = "ES256"
	}
	return tok.SignedString(alg, key.Key)
}

func stepToken(s *state) error {
	ott, err := makeToken(s, s.jwk, s.subject, []string{s.subject, "127.0.0.1"})
	if err != nil {
		return err
	}
	// The token must verify with the provisioner's public key.
	jwt, err := jose.ParseSigned(ott)
	if err != nil {
		return err
	}
	var claims jose.Claims
	if err := jwt.Claims(s.prov.Key.Key, &claims); err != nil {
		return fmt.Errorf("token does not verify with the provisioner key: %w", err)
	}
	s.ott = ott
	return nil
}

func stepBootstrapToken(s *state) error {
	// ca.Bootstrap takes the CA URL (aud) and root pin (sha) from the token.
	c, err := ca.Bootstrap(s.ott)
	if err != nil {
		return err
	}
	h, err := c.Health()
	if err != nil {
		return err
	}
	if h.Status != "ok" {
		return fmt.Errorf("health %q", h.Status)
	}
	return nil
}

func stepSign(s *state) error {
	req, pk, err := ca.CreateSignRequest(s.ott)
	if err != nil {
		return err
	}
	req.NotAfter = api.NewTimeDuration(time.Now().Add(2 * time.Hour))
	resp, err := s.client.Sign(req)
	if err != nil {
		return err
	}
	if resp.ServerPEM.Certificate == nil || resp.CaPEM.Certificate == nil {
		return fmt.Errorf("response lacks crt or ca")
	}
	if len(resp.CertChainPEM) != 2 {
		return fmt.Errorf("certChain has %d certificates, want 2", len(resp.CertChainPEM))
	}
	if !resp.CertChainPEM[0].Equal(resp.ServerPEM.Certificate) || !resp.CertChainPEM[1].Equal(resp.CaPEM.Certificate) {
		return fmt.Errorf("certChain is not [crt, ca]")
	}
	s.leaf, s.inter, s.leafKey = resp.ServerPEM.Certificate, resp.CaPEM.Certificate, pk
	s.leafTLS = tls.Certificate{
		Certificate: [][]byte{s.leaf.Raw, s.inter.Raw},
		PrivateKey:  pk,
		Leaf:        s.leaf,
	}
	if resp.TLSOptions == nil {
		fmt.Println("  note: sign response has no tlsOptions")
	}
	return nil
}

func sameKey(a crypto.PublicKey, b crypto.PrivateKey) bool {
	type pub interface{ Public() crypto.PublicKey }
	p, ok := b.(pub)
	if !ok {
		return false
	}
	type eq interface{ Equal(crypto.PublicKey) bool }
	e, ok := a.(eq)
	return ok && e.Equal(p.Public())
}

func checkLeaf(s *state, leaf, inter *x509.Certificate, key crypto.PrivateKey) error {
	roots := x509.NewCertPool()
	roots.AddCert(s.root)
	inters := x509.NewCertPool()
	inters.AddCert(inter)
	chains, err := leaf.Verify(x509.VerifyOptions{
		Roots: roots, Intermediates: inters, DNSName: s.subject,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	if err != nil {
		return fmt.Errorf("chain does not verify: %w", err)
	}
	if len(chains[0]) != 3 || fingerprint(chains[0][2]) != s.fp {
		return fmt.Errorf("unexpected chain length %d", len(chains[0]))
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inters,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		return fmt.Errorf("not valid for clientAuth: %w", err)
	}
	if leaf.Subject.CommonName != s.subject {
		return fmt.Errorf("CN %q, want %q", leaf.Subject.CommonName, s.subject)
	}
	if !reflect.DeepEqual(leaf.DNSNames, []string{s.subject}) {
		return fmt.Errorf("DNS SANs %v, want [%s]", leaf.DNSNames, s.subject)
	}
	if len(leaf.IPAddresses) != 1 || leaf.IPAddresses[0].String() != "127.0.0.1" {
		return fmt.Errorf("IP SANs %v, want [127.0.0.1]", leaf.IPAddresses)
	}
	if !sameKey(leaf.PublicKey, key) {
		return fmt.Errorf("certificate public key is not the CSR key")
	}
	if leaf.IsCA {
		return fmt.Errorf("leaf is a CA")
	}
	found := false
	for _, ext := range leaf.Extensions {
		if ext.Id.Equal(oidStepProvisioner) {
			found = true
			var v struct {
				Type         int
				Name         []byte
				CredentialID []byte
			}
			if _, err := asn1.Unmarshal(ext.Value, &v); err != nil {
				return fmt.Errorf("provisioner extension: %w", err)
			}
			if v.Type != 1 || string(v.Name) != s.provName || string(v.CredentialID) != s.prov.Key.KeyID {
				return fmt.Errorf("provisioner extension {%d %q %q}, want {1 %q %q}",
					v.Type, v.Name, v.CredentialID, s.provName, s.prov.Key.KeyID)
			}
		}
	}
	if !found {
		return fmt.Errorf("no provisioner extension %v", oidStepProvisioner)
	}
	return nil
}

func stepVerify(s *state) error {
	if err := checkLeaf(s, s.leaf, s.inter, s.leafKey); err != nil {
		return err
	}
	// Requested notAfter (now+2h) must be honoured (+- a minute).
	if d := time.Until(s.leaf.NotAfter); d < 119*time.Minute || d > 121*time.Minute {
		return fmt.Errorf("notAfter %s is not ~2h from now", s.leaf.NotAfter)
	}
	return nil
}

func stepReplay(s *state) error {
	req, _, err := ca.CreateSignRequest(s.ott)
	if err != nil {
		return err
	}
	_, err = s.client.Sign(req)
	if err == nil {
		return fmt.Errorf("second use of the same token succeeded")
	}
	if st := statusOf(err); st != http.StatusUnauthorized {
		return fmt.Errorf("status %d (%v), want 401", st, err)
	}
	return nil
}

func stepBadSignature(s *state) error {
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	fake := &jose.JSONWebKey{Key: other, KeyID: s.jwk.KeyID, Algorithm: "ES256"}
	ott, err := makeToken(s, fake, s.subject, []string{s.subject})
	if err != nil {
		return err
	}
	req, _, err := ca.CreateSignRequest(ott)
	if err != nil {
		return err
	}
	if _, err = s.client.Sign(req); err == nil {
		return fmt.Errorf("token signed by a foreign key was accepted")
	}
	if st := statusOf(err); st != http.StatusUnauthorized {
		return fmt.Errorf("status %d (%v), want 401", st, err)
	}
	return nil
}

func stepWrongCN(s *state) error {
	ott, err := makeToken(s, s.jwk, s.subject, []string{s.subject})
	if err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: "other." + s.subject}, DNSNames: []string{s.subject},
	}, key)
	if err != nil {
		return err
	}
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return err
	}
	_, err = s.client.Sign(&api.SignRequest{CsrPEM: api.CertificateRequest{CertificateRequest: csr}, OTT: ott})
	if err == nil {
		return fmt.Errorf("CSR whose CN differs from the token subject was accepted")
	}
	st := statusOf(err)
	if st != http.StatusForbidden && st != http.StatusUnauthorized && st != http.StatusBadRequest {
		return fmt.Errorf("status %d (%v), want 4xx", st, err)
	}
	fmt.Printf("  rejected with %d: %v\n", st, err)
	return nil
}

func stepProvisionerToken(s *state) error {
	// The library's own flow: NewProvisioner fetches /provisioners, decrypts
	// the key by name and signs a token bound to the CA URL and root.
	p, err := ca.NewProvisioner(s.provName, "", s.caURL, s.password, ca.WithRootSHA256(s.fp))
	if err != nil {
		return err
	}
	ott, err := p.Token("lib." + s.subject)
	if err != nil {
		return err
	}
	req, _, err := ca.CreateSignRequest(ott)
	if err != nil {
		return err
	}
	resp, err := p.Sign(req)
	if err != nil {
		return err
	}
	if resp.ServerPEM.Subject.CommonName != "lib."+s.subject {
		return fmt.Errorf("CN %q", resp.ServerPEM.Subject.CommonName)
	}
	return nil
}

func mtlsTransport(s *state, cert tls.Certificate) http.RoundTripper {
	return &http.Transport{TLSClientConfig: &tls.Config{
		MinVersion:   tls.VersionTLS12,
		RootCAs:      s.client.GetRootCAs(),
		Certificates: []tls.Certificate{cert},
	}}
}

func stepRenew(s *state) error {
	resp, err := s.client.Renew(mtlsTransport(s, s.leafTLS))
	if err != nil {
		return err
	}
	n := resp.ServerPEM.Certificate
	if n == nil || len(resp.CertChainPEM) != 2 {
		return fmt.Errorf("bad renew response")
	}
	if n.SerialNumber.Cmp(s.leaf.SerialNumber) == 0 {
		return fmt.Errorf("renewed certificate has the old serial")
	}
	if !reflect.DeepEqual(n.DNSNames, s.leaf.DNSNames) || n.Subject.CommonName != s.leaf.Subject.CommonName {
		return fmt.Errorf("renewed certificate changed subject or SANs")
	}
	if !sameKey(n.PublicKey, s.leafKey) {
		return fmt.Errorf("renewed certificate has a different key")
	}
	oldLife := s.leaf.NotAfter.Sub(s.leaf.NotBefore)
	newLife := n.NotAfter.Sub(n.NotBefore)
	if diff := oldLife - newLife; diff > time.Minute || diff < -time.Minute {
		return fmt.Errorf("validity length %s, want %s", newLife, oldLife)
	}
	return checkLeaf(s, n, resp.CaPEM.Certificate, s.leafKey)
}

func stepRekey(s *state) error {
	req, key, err := ca.CreateCertificateRequest(s.subject, s.subject, "127.0.0.1")
	if err != nil {
		return err
	}
	resp, err := s.client.Rekey(&api.RekeyRequest{CsrPEM: *req}, mtlsTransport(s, s.leafTLS))
	if err != nil {
		return err
	}
	n := resp.ServerPEM.Certificate
	if n == nil {
		return fmt.Errorf("bad rekey response")
	}
	if !sameKey(n.PublicKey, key) {
		return fmt.Errorf("rekeyed certificate does not carry the new key")
	}
	if err := checkLeaf(s, n, resp.CaPEM.Certificate, key); err != nil {
		return err
	}
	s.rekeyed = n
	s.rekeyTLS = tls.Certificate{Certificate: [][]byte{n.Raw, resp.CaPEM.Raw}, PrivateKey: key, Leaf: n}
	return nil
}

func stepRevoke(s *state) error {
	// Passive revocation over mTLS with the certificate being revoked; the
	// serial is sent in decimal.
	serial := new(big.Int).Set(s.rekeyed.SerialNumber).String()
	r, err := s.client.Revoke(&api.RevokeRequest{Serial: serial, ReasonCode: 4,
		Reason: "superseded", Passive: true}, mtlsTransport(s, s.rekeyTLS))
	if err != nil {
		return err
	}
	if r.Status != "ok" {
		return fmt.Errorf("status %q", r.Status)
	}
	return nil
}

func stepRenewRevoked(s *state) error {
	_, err := s.client.Renew(mtlsTransport(s, s.rekeyTLS))
	if err == nil {
		return fmt.Errorf("renewal of a revoked certificate succeeded")
	}
	if st := statusOf(err); st != http.StatusUnauthorized && st != http.StatusForbidden {
		return fmt.Errorf("status %d (%v), want 401 or 403", st, err)
	}
	fmt.Printf("  rejected with %d\n", statusOf(err))
	return nil
}
