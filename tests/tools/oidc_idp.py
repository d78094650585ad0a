#!/usr/bin/env python3
"""oidc_idp.py - a small OpenID Connect identity provider for the end-to-end tests.

Python 3 standard library only; keys are made with the openssl CLI and tokens signed with
testtool (the same JOSE code the tests use elsewhere). It listens on 127.0.0.1 and serves:

  GET  /.well-known/openid-configuration   discovery: issuer http://127.0.0.1:PORT
  GET  /jwks                               the current signing key (kid = its thumbprint)
  GET  /authorize                          auto-approves the configured user: redirects to
                                           redirect_uri with code and state (PKCE S256 required)
  POST /token                              authorization_code grant: checks client, redirect_uri
                                           and the PKCE verifier; answers an id_token (with the
                                           authorize request's nonce) and an access_token
  POST /control/user                       JSON claims merged into the user (email, sub,
                                           groups, email_verified, ...; null removes one)
  POST /control/rotate                     new signing key (RSA <-> EC P-256 alternately); the
                                           previous one leaves the JWKS
  POST /control/mint                       {"claims": {...}, "key": "current|previous",
                                           "kid": "..."}: an id_token with the user's claims,
                                           the overrides (null removes a claim), signed with
                                           that key and announcing that kid
  GET  /control/log                        the requests served, one per line

Usage: oidc_idp.py --dir DIR --testtool PATH --client-id ID --client-secret S
                   --email E [--sub S] [--groups a,b] --port-file FILE
"""
import argparse
import base64
import hashlib
import json
import os
import secrets
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.user = {
            "sub": args.sub,
            "email": args.email,
            "email_verified": True,
            "groups": [g for g in args.groups.split(",") if g],
        }
        self.codes = {}
        self.keys = []  # (path, kid, public jwk), newest last
        self.rotations = 0
        self.log = []
        self.new_key("rsa")

    def new_key(self, kind):
        path = os.path.join(self.args.dir, "idp-key-%d.pem" % len(self.keys))
        if kind == "rsa":
            cmd = ["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]
        else:
            cmd = ["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]
        subprocess.run(cmd + ["-out", path], check=True, capture_output=True)
        jwk = json.loads(subprocess.run([self.args.testtool, "jwk-public", path], check=True,
                                        capture_output=True, text=True).stdout)
        self.keys.append((path, jwk["kid"], jwk))

    def sign(self, claims, key="current", kid=None):
        path, key_kid, _ = self.keys[-1] if key == "current" else self.keys[-2]
        header = {"typ": "JWT", "kid": key_kid if kid is None else kid}
        if kid == "":
            del header["kid"]
        out = subprocess.run([self.args.testtool, "sign-jwt", path, json.dumps(header),
                              json.dumps(claims)], check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def id_claims(self, issuer, nonce, overrides=None):
        now = int(time.time())
        claims = {"iss": issuer, "aud": self.args.client_id, "azp": self.args.client_id,
                  "iat": now, "exp": now + 300, "nonce": nonce}
        claims.update(self.user)
        for k, v in (overrides or {}).items():
            if v is None:
                claims.pop(k, None)
            else:
                claims[k] = v
        return claims


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Handler(BaseHTTPRequestHandler):
    server_version = "oidc-idp/1.0"

    def log_message(self, fmt, *a):  # quiet; kept in /control/log instead
        pass

    @property
    def st(self):
        return self.server.state

    def issuer(self):
        return "http://127.0.0.1:%d" % self.server.server_address[1]

    def send(self, status, body, ctype="application/json", headers=None):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n).decode() if n else ""

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        with self.st.lock:
            self.st.log.append("GET " + u.path)
        if u.path == "/.well-known/openid-configuration":
            iss = self.issuer()
            return self.send(200, {"issuer": iss, "authorization_endpoint": iss + "/authorize",
                                   "token_endpoint": iss + "/token", "jwks_uri": iss + "/jwks",
                                   "response_types_supported": ["code"],
                                   "code_challenge_methods_supported": ["S256"]})
        if u.path == "/jwks":
            with self.st.lock:
                return self.send(200, {"keys": [self.st.keys[-1][2]]})
        if u.path == "/authorize":
            return self.authorize(q)
        if u.path == "/control/log":
            with self.st.lock:
                return self.send(200, ("\n".join(self.st.log) + "\n").encode(), "text/plain")
        return self.send(404, {"error": "not_found"})

    def authorize(self, q):
        redirect = q.get("redirect_uri", "")
        if q.get("client_id") != self.st.args.client_id or not redirect:
            return self.send(400, {"error": "invalid_client"})
        if q.get("response_type") != "code" or q.get("code_challenge_method") != "S256" \
                or not q.get("code_challenge"):
            return self.send(400, {"error": "invalid_request"})
        code = secrets.token_urlsafe(24)
        with self.st.lock:
            self.st.codes[code] = q
            self.st.log.append("authorize scope=%s nonce=%s" % (q.get("scope"), q.get("nonce")))
        loc = redirect + ("&" if "?" in redirect else "?") + urllib.parse.urlencode(
            {"code": code, "state": q.get("state", "")})
        self.send(302, b"", "text/plain", {"Location": loc})

    def do_POST(self):
        u = urllib.parse.urlsplit(self.path)
        raw = self.body()
        with self.st.lock:
            self.st.log.append("POST " + u.path)
        if u.path == "/token":
            return self.token(dict(urllib.parse.parse_qsl(raw)))
        req = json.loads(raw) if raw else {}
        if u.path == "/control/user":
            with self.st.lock:
                for k, v in req.items():
                    if v is None:
                        self.st.user.pop(k, None)
                    else:
                        self.st.user[k] = v
            return self.send(200, self.st.user)
        if u.path == "/control/rotate":
            with self.st.lock:
                self.st.rotations += 1
                self.st.new_key("ec" if self.st.rotations % 2 else "rsa")
                return self.send(200, {"kid": self.st.keys[-1][1]})
        if u.path == "/control/mint":
            with self.st.lock:
                claims = self.st.id_claims(self.issuer(), secrets.token_hex(32), req.get("claims"))
                tok = self.st.sign(claims, req.get("key", "current"), req.get("kid"))
            return self.send(200, tok.encode(), "text/plain")
        return self.send(404, {"error": "not_found"})

    def token(self, f):
        def bad(err, desc):
            self.send(400, {"error": err, "error_description": desc})
        with self.st.lock:
            q = self.st.codes.pop(f.get("code", ""), None)
        if f.get("grant_type") != "authorization_code" or q is None:
            return bad("invalid_grant", "unknown code")
        if f.get("client_id") != self.st.args.client_id or \
                f.get("client_secret") != self.st.args.client_secret:
            return bad("invalid_client", "bad client credentials")
        if f.get("redirect_uri") != q.get("redirect_uri"):
            return bad("invalid_grant", "redirect_uri mismatch")
        verifier = f.get("code_verifier", "")
        if b64url(hashlib.sha256(verifier.encode()).digest()) != q.get("code_challenge"):
            return bad("invalid_grant", "PKCE verification failed")
        with self.st.lock:
            claims = self.st.id_claims(self.issuer(), q.get("nonce", ""))
            tok = self.st.sign(claims)
        self.send(200, {"access_token": secrets.token_urlsafe(24), "token_type": "Bearer",
                        "expires_in": 3600, "id_token": tok})


def main():
    ap = argparse.ArgumentParser()
    for name in ("dir", "testtool", "client-id", "client-secret", "email", "port-file"):
        ap.add_argument("--" + name, required=True)
    ap.add_argument("--sub", default="1234567890")
    ap.add_argument("--groups", default="")
    args = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.state = State(args)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, args.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
