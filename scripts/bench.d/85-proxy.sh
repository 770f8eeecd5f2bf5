# experimental-image-proxy (issue 20): every layer of the big image fetched through the proxy
# with GetBlob + FinishPipe, as bootc fetches, from an oci: layout.
bench_case proxy-getblob-oci "true" \
  "python3 scripts/bench/proxy_fetch.py $SKIFF oci:$IMG_BIG:bench" \
  "python3 scripts/bench/proxy_fetch.py skopeo oci:$IMG_BIG:bench"
