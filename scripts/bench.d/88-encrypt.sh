# OCI image encryption (issue 20): the small bench image (~70 MB) encrypted for an RSA key
# (jwe) and decrypted again, oci→oci, skiff against skopeo. The keys and the encrypted
# layout to decrypt are made once (by skopeo, so both tools decrypt the same bytes).
B=$BENCH_DIR/enc
src="oci:$IMG_SMALL:bench"
mkdir -p "$B"
[ -f "$BENCH_DIR/enc-key.pem" ] || openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
  -out "$BENCH_DIR/enc-key.pem" 2>/dev/null
[ -f "$BENCH_DIR/enc-key.pub" ] || openssl pkey -pubout -in "$BENCH_DIR/enc-key.pem" -out "$BENCH_DIR/enc-key.pub"
[ -f "$BENCH_DIR/img-encrypted/index.json" ] || skopeo copy -q --insecure-policy \
  --encryption-key "jwe:$BENCH_DIR/enc-key.pub" "$src" "oci:$BENCH_DIR/img-encrypted:bench"

bench_case encrypt-jwe-oci-to-oci "rm -rf $B/e" \
  "$SKIFF --insecure-policy copy -q --encryption-key jwe:$BENCH_DIR/enc-key.pub $src oci:$B/e:t" \
  "skopeo --insecure-policy copy -q --encryption-key jwe:$BENCH_DIR/enc-key.pub $src oci:$B/e:t"
bench_case decrypt-jwe-oci-to-oci "rm -rf $B/d" \
  "$SKIFF --insecure-policy copy -q --decryption-key $BENCH_DIR/enc-key.pem oci:$BENCH_DIR/img-encrypted:bench oci:$B/d:t" \
  "skopeo --insecure-policy copy -q --decryption-key $BENCH_DIR/enc-key.pem oci:$BENCH_DIR/img-encrypted:bench oci:$B/d:t"
rm -rf "$B"
