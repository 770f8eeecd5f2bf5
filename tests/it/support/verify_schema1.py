#!/usr/bin/env python3
"""Verifies a signed Docker schema 1 manifest's JWS signatures (libtrust's format) with
Python's `cryptography`, independently of skiff: exit 0 when every signature is valid.

    verify_schema1.py MANIFEST.json
"""
import base64
import json
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def main(path):
    raw = open(path, "rb").read()
    doc = json.loads(raw)
    sigs = doc.get("signatures") or []
    if not sigs:
        sys.exit("no signatures")
    for sig in sigs:
        protected = json.loads(b64url(sig["protected"]))
        payload = raw[: protected["formatLength"]] + b64url(protected["formatTail"])
        jwk = sig["header"]["jwk"]
        if sig["header"]["alg"] != "ES256" or jwk["kty"] != "EC" or jwk["crv"] != "P-256":
            sys.exit(f"unexpected key or algorithm: {sig['header']}")
        key = ec.EllipticCurvePublicNumbers(
            int.from_bytes(b64url(jwk["x"]), "big"),
            int.from_bytes(b64url(jwk["y"]), "big"),
            ec.SECP256R1(),
        ).public_key()
        rs = b64url(sig["signature"])
        der = encode_dss_signature(int.from_bytes(rs[:32], "big"), int.from_bytes(rs[32:], "big"))
        signing_input = sig["protected"].encode() + b"." + base64.urlsafe_b64encode(payload).rstrip(b"=")
        key.verify(der, signing_input, ec.ECDSA(hashes.SHA256()))
    print("ok")


main(sys.argv[1])
