#!/usr/bin/env bash
# Packages a release build as a .deb with dpkg-deb: /usr/bin/ecrhelm, the
# /usr/bin/docker-credential-ecrhelm link, man pages, bash and zsh completion
# and the copyright file, all installed by `cmake --install` (the install
# rules are the one list of what ships). Checks the result with dpkg-deb -c
# (every expected path present) and with lintian when it is installed.
#   scripts/make-deb.sh BUILD_DIR   -> BUILD_DIR/ecrhelm_VERSION_ARCH.deb
set -euo pipefail
die() { echo "make-deb: $*" >&2; exit 1; }
[ $# -eq 1 ] || die "usage: $0 BUILD_DIR (a configured and built Release tree)"
build=$(cd "$1" 2>/dev/null && pwd) || die "no build folder '$1': run 'make release' first"
[ -x "$build/ecrhelm" ] || die "no $build/ecrhelm: run 'make release' first"
[ -f "$build/man/ecrhelm.1" ] || die "no $build/man/ecrhelm.1: build the docs target (cmake --build $build)"
command -v dpkg-deb >/dev/null || die "dpkg-deb not found: apt-get install dpkg"
root=$(cd "$(dirname "$0")/.." && pwd)

version=$("$build/ecrhelm" --version | awk '{print $2}')
arch=$(dpkg --print-architecture)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
chmod 0755 "$stage"
DESTDIR="$stage" cmake --install "$build" --prefix /usr >/dev/null
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$stage/usr/bin/ecrhelm"
gzip -9n "$stage"/usr/share/man/man1/*.1
install -d "$stage/usr/share/doc/ecrhelm"
cat >"$stage/usr/share/doc/ecrhelm/copyright" <<COPYRIGHT
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: ecrhelm
Source: https://github.com/ecrhelm/ecrhelm

Files: *
Copyright: the ecrhelm authors
License: Apache-2.0
 On Debian systems, the complete text of the Apache License 2.0 is in
 /usr/share/common-licenses/Apache-2.0.
COPYRIGHT
# The libraries the binary links, as Debian package dependencies.
depends=$(cd "$stage" && mkdir -p debian && echo "Source: ecrhelm" >debian/control \
  && dpkg-shlibdeps -O usr/bin/ecrhelm 2>/dev/null | sed -n 's/^shlibs:Depends=//p'; rm -rf debian)
[ -n "$depends" ] || depends="libc6, libstdc++6, libcurl4, libssl3, libarchive13, libyaml-cpp0.7, libfmt9, libspdlog1.10, libpugixml1v5"
install -d "$stage/DEBIAN"
cat >"$stage/DEBIAN/control" <<CONTROL
Package: ecrhelm
Version: $version
Architecture: $arch
Maintainer: ecrhelm authors <ecrhelm@example.com>
Installed-Size: $(du -sk "$stage/usr" | cut -f1)
Depends: $depends
Section: admin
Priority: optional
Homepage: https://github.com/ecrhelm/ecrhelm
Description: OCI Helm charts in private Amazon ECR, no token rotated by hand
 ecrhelm gets ECR tokens from the standard AWS credential chain (IRSA above
 all) for Helm, Docker (docker-credential-ecrhelm) and Argo CD; pulls charts;
 and as "ecrhelm controller" keeps Argo CD repository secrets fresh from
 External Secrets Operator's ExternalSecret and ECRAuthorizationToken.
CONTROL
deb="$build/ecrhelm_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null

listing=$(dpkg-deb -c "$deb")
for path in ./usr/bin/ecrhelm "./usr/bin/docker-credential-ecrhelm -> ecrhelm" \
  ./usr/share/man/man1/ecrhelm.1.gz ./usr/share/man/man1/ecrhelm-controller.1.gz \
  ./usr/share/bash-completion/completions/ecrhelm ./usr/share/zsh/vendor-completions/_ecrhelm \
  ./usr/share/doc/ecrhelm/copyright; do
  grep -qF -- "$path" <<<"$listing" || die "$deb lacks $path"
done
if command -v lintian >/dev/null; then
  lintian --fail-on error "$deb"
else
  echo "make-deb: lintian not installed: skipped (apt-get install lintian)"
fi
echo "make-deb: $deb ($(du -h "$deb" | cut -f1)), $(grep -c . <<<"$listing") entries"
