// stepca-init: creates a CA tree the way `step ca init` does (standalone,
// software keys), using the pki package of the Debian step-ca 0.19 sources.
// Written for stride's interop harness.
//
// Usage:
//
//	stepca-init --dir DIR --password-file FILE [--name N] [--dns a,b] \
//	    [--address host:port] [--provisioner NAME] [--no-db] [--ssh]
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/smallstep/certificates/authority/config"
	"github.com/smallstep/certificates/cas/apiv1"
	"github.com/smallstep/certificates/pki"
)

func main() {
	dir := flag.String("dir", "", "directory that becomes $STEPPATH of the new CA (required)")
	name := flag.String("name", "Stride Interop", "name of the PKI (root/intermediate CN prefix)")
	dns := flag.String("dns", "localhost,127.0.0.1", "comma-separated DNS names / IPs of the CA")
	address := flag.String("address", "127.0.0.1:9000", "listen address written to ca.json")
	prov := flag.String("provisioner", "admin@example.com", "name of the JWK provisioner")
	passFile := flag.String("password-file", "", "file with the password for keys and provisioner (required)")
	noDB := flag.Bool("no-db", false, "remove the db section from ca.json")
	withSSH := flag.Bool("ssh", false, "also create the SSH host and user CA keys (as step ca init --ssh)")
	flag.Parse()
	if *dir == "" || *passFile == "" {
		fmt.Fprintln(os.Stderr, "stepca-init: --dir and --password-file are required")
		os.Exit(2)
	}
	abs, err := filepath.Abs(*dir)
	check(err, "dir")

	// The step path is fixed when the step package initialises, so make
	// sure STEPPATH names the target before any smallstep code has run.
	if os.Getenv("STEPPATH") != abs {
		check(os.MkdirAll(abs, 0700), "mkdir")
		os.Setenv("STEPPATH", abs)
		self, err := os.Executable()
		check(err, "executable")
		check(syscall.Exec(self, os.Args, os.Environ()), "re-exec")
	}

	pass, err := os.ReadFile(*passFile)
	check(err, "password file")
	pass = bytes.TrimRight(pass, "\r\n")

	opts := []pki.Option{
		pki.WithAddress(*address),
		pki.WithDNSNames(strings.Split(*dns, ",")),
		pki.WithProvisioner(*prov),
	}
	if *noDB {
		opts = append(opts, pki.WithNoDB())
	}
	if *withSSH {
		opts = append(opts, pki.WithSSH())
	}
	p, err := pki.New(apiv1.Options{Type: apiv1.SoftCAS, IsCreator: true}, opts...)
	check(err, "pki.New")
	check(p.GenerateKeyPairs(pass), "provisioner key")
	root, err := p.GenerateRootCertificate(*name, *name, *name, pass)
	check(err, "root")
	check(p.GenerateIntermediateCertificate(*name, *name, *name, root, pass), "intermediate")
	if *withSSH {
		check(p.GenerateSSHSigningKeys(pass), "ssh keys")
	}
	var cfgOpts []pki.ConfigOption
	if *noDB {
		cfgOpts = append(cfgOpts, func(c *config.Config) error { c.DB = nil; return nil })
	}
	check(p.Save(cfgOpts...), "save")
	fmt.Printf("fingerprint %s\n", p.GetRootFingerprint())
}

func check(err error, what string) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "stepca-init: %s: %v\n", what, err)
		os.Exit(1)
	}
}
