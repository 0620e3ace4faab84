#!/usr/bin/env bash
# The ecrhelm container image without a container engine: the root
# filesystem the Containerfile builds (FROM scratch: the binary, the shared
# libraries it needs if it is not static, the CA bundle, a nonroot user),
# written as an OCI image layout (one gzip layer, config, manifest, index,
# sha256 digests), optionally copied to a registry with skopeo.
#
# Usage:
#   scripts/make-image.sh rootfs BINARY DIR
#       only the root filesystem (the Containerfile's build stage runs this)
#   scripts/make-image.sh layout BINARY DIR [TAG]
#       an OCI image layout in DIR (TAG default: the binary's version)
#   scripts/make-image.sh push BINARY DIR DEST [TAG]
#       the layout, then `skopeo copy oci:DIR:TAG docker://DEST:TAG`
#       (DEST like 127.0.0.1:5000/ecrhelm; plain HTTP for 127.0.0.1 and localhost)
# The binary runs as a user would run the image: USER 65532, ENTRYPOINT
# ["ecrhelm"], no shell. Reproducible: the same inputs give the same digests.
set -euo pipefail

die() { echo "make-image: $*" >&2; exit 1; }
[ $# -ge 3 ] || die "usage: make-image.sh rootfs|layout|push BINARY DIR [DEST] [TAG]"
MODE=$1 BINARY=$2 DIR=$3
case $MODE in rootfs | layout | push) ;; *) die "unknown mode '$MODE': use rootfs, layout or push" ;; esac
[ -x "$BINARY" ] || die "$BINARY is not an executable; build it first (make release)"
CA_BUNDLE=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
[ -s "$CA_BUNDLE" ] || die "no CA bundle at $CA_BUNDLE; install ca-certificates or set CA_BUNDLE"

# ---- the root filesystem ----------------------------------------------------
make_rootfs() {  # ROOT
  local root=$1 lib
  mkdir -p "$root/usr/bin" "$root/etc/ssl/certs" "$root/tmp" "$root/home/nonroot"
  # Stripped (a RelWithDebInfo binary is mostly debug info); as is without strip.
  if command -v strip >/dev/null 2>&1; then
    strip --strip-unneeded -o "$root/usr/bin/ecrhelm" "$BINARY"
    chmod 0755 "$root/usr/bin/ecrhelm"
  else
    install -m 0755 "$BINARY" "$root/usr/bin/ecrhelm"
  fi
  ln -sf ecrhelm "$root/usr/bin/docker-credential-ecrhelm"
  install -m 0644 "$CA_BUNDLE" "$root/etc/ssl/certs/ca-certificates.crt"
  chmod 1777 "$root/tmp"
  # As distroless: root and nonroot (65532), no login shell anywhere.
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' \
    >"$root/etc/passwd"
  printf 'root:x:0:\nnonroot:x:65532:\n' >"$root/etc/group"
  # Not static (libcurl and friends are shared on Debian): the loader and
  # every library ldd resolves, at the same paths, so nothing comes from the host.
  if ldd "$BINARY" >/dev/null 2>&1; then
    ldd "$BINARY" | awk '/=> \//{print $3} /^[[:space:]]*\/[^ ]*ld-linux/{print $1}' | sort -u |
      while read -r lib; do
        mkdir -p "$root$(dirname "$lib")"
        cp -L "$lib" "$root$lib"
        chmod 0644 "$root$lib"
      done
    # The loader must stay executable (it is run as the binary's interpreter).
    for lib in "$root"/lib64/ld-linux* "$root"/lib/*/ld-linux*; do
      if [ -e "$lib" ]; then chmod 0755 "$lib"; fi
    done
  fi
}

# Never replaces a folder it did not write: DIR must be absent, empty, or a
# layout written before (it has oci-layout).
if [ -e "$DIR" ] && [ -n "$(ls -A "$DIR" 2>/dev/null)" ] && [ ! -e "$DIR/oci-layout" ]; then
  die "$DIR exists and is not an OCI layout written by make-image.sh; give a new folder"
fi

if [ "$MODE" = rootfs ]; then
  [ ! -e "$DIR" ] || [ -z "$(ls -A "$DIR")" ] || die "$DIR is not empty; give a new folder"
  make_rootfs "$DIR"
  echo "make-image: root filesystem in $DIR"
  exit 0
fi

DEST=""
if [ "$MODE" = push ]; then
  [ $# -ge 4 ] || die "push needs DEST (e.g. 127.0.0.1:5000/ecrhelm)"
  DEST=$4
  TAG=${5:-}
else
  TAG=${4:-}
fi
VERSION=$("$BINARY" --version | sed -n 's/^ecrhelm //p')
[ -n "$VERSION" ] || die "$BINARY --version did not print 'ecrhelm X.Y.Z'"
TAG=${TAG:-$VERSION}
case $(uname -m) in x86_64) ARCH=amd64 ;; aarch64) ARCH=arm64 ;; *) ARCH=$(uname -m) ;; esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
make_rootfs "$work/rootfs"
# Deterministic tar: sorted names, time 0, owner root except nonroot's home (65532).
python3 - "$work/rootfs" "$work/layer.tar" <<'PY'
import os, sys, tarfile
root, out = sys.argv[1:]
def entries(d):
    for name in sorted(os.listdir(d)):
        p = os.path.join(d, name)
        yield p
        if os.path.isdir(p) and not os.path.islink(p):
            yield from entries(p)
with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
    for p in entries(root):
        rel = os.path.relpath(p, root)
        info = t.gettarinfo(p, arcname=rel)
        info.mtime = 0
        info.uid = info.gid = 65532 if rel == "home/nonroot" else 0
        info.uname = info.gname = ""
        if info.isreg():
            with open(p, "rb") as f:
                t.addfile(info, f)
        else:
            t.addfile(info)
PY
gzip -9 -n -c "$work/layer.tar" >"$work/layer.tar.gz"

sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { stat -c %s "$1"; }
# Written in the work folder, moved into place at the end: nothing partial.
OUT=$work/layout
mkdir -p "$OUT/blobs/sha256"
put_blob() {  # FILE -> digest hex (the file copied into the layout)
  local h
  h=$(sha "$1")
  cp "$1" "$OUT/blobs/sha256/$h"
  echo "$h"
}
diff_id=$(sha "$work/layer.tar")
layer=$(put_blob "$work/layer.tar.gz")
layer_size=$(size "$work/layer.tar.gz")

python3 - "$work" "$ARCH" "$diff_id" "$VERSION" <<'PY'
import json, sys
work, arch, diff_id, version = sys.argv[1:]
config = {
    "architecture": arch,
    "os": "linux",
    "created": "1970-01-01T00:00:00Z",
    "config": {
        "User": "65532",
        "Entrypoint": ["ecrhelm"],
        "Env": ["PATH=/usr/bin", "HOME=/home/nonroot",
                "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"],
        "WorkingDir": "/home/nonroot",
        "Labels": {"org.opencontainers.image.title": "ecrhelm",
                   "org.opencontainers.image.version": version},
    },
    "rootfs": {"type": "layers", "diff_ids": ["sha256:" + diff_id]},
    "history": [{"created": "1970-01-01T00:00:00Z",
                 "created_by": "scripts/make-image.sh (the Containerfile's root filesystem)"}],
}
with open(f"{work}/config.json", "w") as f:
    json.dump(config, f, separators=(",", ":"), sort_keys=True)
PY
config=$(put_blob "$work/config.json")
config_size=$(size "$work/config.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%d}],"annotations":{"org.opencontainers.image.version":"%s"}}' \
  "$config" "$config_size" "$layer" "$layer_size" "$VERSION" >"$work/manifest.json"
manifest=$(put_blob "$work/manifest.json")
manifest_size=$(size "$work/manifest.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%d,"annotations":{"org.opencontainers.image.ref.name":"%s"},"platform":{"architecture":"%s","os":"linux"}}]}' \
  "$manifest" "$manifest_size" "$TAG" "$ARCH" >"$OUT/index.json"
printf '{"imageLayoutVersion":"1.0.0"}' >"$OUT/oci-layout"
rm -rf "$DIR"
mkdir -p "$(dirname "$DIR")"
mv "$OUT" "$DIR"
echo "make-image: OCI layout $DIR, tag $TAG, manifest sha256:$manifest (layer $(numfmt --to=iec "$layer_size"))"

if [ "$MODE" = push ]; then
  tls=()
  case $DEST in 127.0.0.1:* | localhost:* | \[::1\]:*) tls=(--dest-tls-verify=false) ;; esac
  skopeo copy -q "${tls[@]}" "oci:$DIR:$TAG" "docker://$DEST:$TAG"
  echo "make-image: pushed $DEST:$TAG"
fi
