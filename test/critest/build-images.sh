#!/usr/bin/env bash
# Builds offline stand-ins for every image critest's validation suite (v1.36.0, v1.37.0)
# pulls, and serves them from a local distribution registry on 127.0.0.1:5000
# (Debian's docker-registry, started here if nothing answers there, and left
# running: test/critest/stop-registry.sh stops it). A CRI runtime whose
# registry mirrors send registry.k8s.io, k8s.gcr.io and gcr.io to
# http://127.0.0.1:5000 then pulls them without a network.
#
# Everything lives in ${CRI_TS_CACHE:-/var/cache/cri-ts}/critest-images: the
# registry's storage, pid file and log, and a stamp. The build is skipped when
# the stamp records the same inputs hash (this script, images/*.c, the host
# binaries copied in) and the registry still serves every image it built.
#
# Images are assembled by hand (tar, gzip, sha256sum; no umoci, no docker) with
# fixed timestamps, so a rebuild from the same inputs gives the same digests.
# Each image is a shared base layer plus, where needed, a small layer of its own.
# Quirks the suite checks, reproduced here:
# - busybox applets are hard links, not symlinks: MaskedPaths masks /bin/ls, and
#   masking a symlink would mask busybox itself and break `sh`;
# - the busybox is Debian's dynamic one: the static build runs applets inside
#   its shell, so a masked /bin/ls would still run;
# - pgrep and ipcs (missing from busybox) come from the host, with their libraries;
# - nginx stand-in: a process named nginx (a script, so its comm is "nginx")
#   serving PORT (80) with busybox httpd, its pid in /var/run/nginx.pid, and
#   "master process" in its command line; httpd stand-in logs "httpd -D FOREGROUND";
# - test-image-tags:1, :2 and :3 are one image under three tags;
# - nonewprivs:1.3 runs a setuid-root program printing its effective uid;
# - test-image-predefined-group: user default-user (1000:1000), also a member of
#   group-defined-in-image (50000) in the image's /etc/group;
# - pause:3.9 (the suite pulls it from registry.k8s.io and k8s.gcr.io, wants one
#   image ID with exactly those two tags) and pause:3.10 (the sandbox image) are
#   two images, user 65535:65535 as upstream.
# Also cri-ts/bench-pull:1mib, for test/bench/critest-bench.sh's PullImage benchmark.
# Not reproducible offline: test-image-digest@sha256:9700f9a2..., pinned to an
# upstream digest, so "public image with digest should be pulled and removed" fails.
#
# Usage: build-images.sh [--force]     Needs: docker-registry gcc (static libc) curl
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
W=${CRI_TS_CACHE:-/var/cache/cri-ts}/critest-images
REG=127.0.0.1:5000
PIDFILE=$W/registry.pid
STAMP=$W/stamp
E=e2e-test-images       # registry.k8s.io/e2e-test-images/...
S=k8s-staging-cri-tools # gcr.io/k8s-staging-cri-tools/...
ARCH=$(dpkg --print-architecture)
EPOCH=1970-01-01T00:00:00Z
PATHENV=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
MT_OCI=application/vnd.oci.image.manifest.v1+json
mkdir -p "$W"
exec 9> "$W/.lock"; flock 9 # one build at a time (the registry must not inherit fd 9)

log() { echo "build-images.sh: $*" >&2; }
registry_up() { curl -fsS -m 2 "http://$REG/v2/" >/dev/null 2>&1; }

# --- the registry -----------------------------------------------------------
if ! registry_up; then
  cat > "$W/registry.yml" <<YML
version: 0.1
log: { level: error, accesslog: { disabled: true } }
storage: { filesystem: { rootdirectory: $W/registry }, delete: { enabled: true } }
http: { addr: $REG }
YML
  setsid docker-registry serve "$W/registry.yml" >> "$W/registry.log" 2>&1 < /dev/null 9>&- &
  echo $! > "$PIDFILE"
  for _ in $(seq 100); do registry_up && break; sleep 0.1; done
  registry_up || { log "registry did not start, see $W/registry.log"; exit 1; }
  log "started registry on $REG (pid $(cat "$PIDFILE"))"
fi
if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
  REGNOTE="pid file $PIDFILE"
else
  REGNOTE="already answering, not started by this script (no pid file)"
fi

# --- inputs and the stamp ---------------------------------------------------
BB=$(command -v busybox || true)
if [ -z "$BB" ] || ! ldd "$BB" >/dev/null 2>&1; then
  # only busybox-static is installed: take the dynamic binary from Debian's package
  if [ ! -x "$W/bbdyn/bin/busybox" ]; then
    (cd "$W" && rm -f busybox_*.deb && apt-get download -q busybox >/dev/null)
    dpkg-deb -x "$W"/busybox_*.deb "$W/bbdyn"
  fi
  BB=$W/bbdyn/bin/busybox
fi
HOSTBINS=("$BB" "$(command -v pgrep)" "$(command -v ipcs)")
libs_of() { ldd "$@" | grep -oE '/[^ ]+\.so[^ ]*' | sort -u; }
mapfile -t LIBS < <(libs_of "${HOSTBINS[@]}")
HASH=$( { cat "$0" "$HERE"/images/*.c; gcc --version | head -1;
          sha256sum "${HOSTBINS[@]}" "${LIBS[@]}" | cut -d' ' -f1; } | sha256sum | cut -d' ' -f1)

manifest_digest() { # REPO TAG -> the digest the registry serves, or nothing
  curl -fsS -m 5 -I -H "Accept: $MT_OCI" "http://$REG/v2/$1/manifests/$2" 2>/dev/null |
    tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p'
}
stamp_ok() {
  [ -f "$STAMP" ] && [ "$(head -1 "$STAMP")" = "$HASH" ] || return 1
  local ref digest
  while read -r ref digest; do
    [ "$(manifest_digest "${ref%:*}" "${ref##*:}")" = "$digest" ] || return 1
  done < <(tail -n +2 "$STAMP")
}
if [ "${1:-}" != --force ] && stamp_ok; then
  log "images up to date (inputs $HASH)"
  echo "registry: http://$REG, $REGNOTE"
  exit 0
fi

# --- building blocks ----------------------------------------------------------
B=$W/build
rm -rf "$B"; mkdir -p "$B/blobs"
jstr() { local s=${1//\\/\\\\}; printf '"%s"' "${s//\"/\\\"}"; }
jarr() { local out='' a; for a in "$@"; do out+=${out:+,}$(jstr "$a"); done; printf '[%s]' "$out"; }
blob() { # FILE -> stores it under its digest, prints "sha256:HEX SIZE"
  local h; h=$(sha256sum "$1" | cut -d' ' -f1)
  mv "$1" "$B/blobs/$h"; echo "sha256:$h $(stat -c %s "$B/blobs/$h")"
}
layer() { # DIR -> prints "DIGEST SIZE DIFFID" of a reproducible gzipped tar of DIR
  local dir=$1 diffid
  (cd "$dir" && find . -exec touch -h -d "$EPOCH" {} + &&
    tar --sort=name --numeric-owner --mtime="$EPOCH" -cf "$B/layer.tar" -- $(ls -A))
  diffid=sha256:$(sha256sum "$B/layer.tar" | cut -d' ' -f1)
  gzip -n -9 < "$B/layer.tar" > "$B/layer.tgz"; rm "$B/layer.tar"
  echo "$(blob "$B/layer.tgz") $diffid"
}
REFS=()
image() { # REPO:TAG... -- CONFIG-JSON-MEMBERS -- LAYER-TRIPLES...
  local refs=() cfg ldesc='' diffs='' l d s i c m
  while [ "$1" != -- ]; do refs+=("$1"); shift; done; shift
  cfg=$1; shift 2
  for l in "$@"; do
    read -r d s i <<< "$l"
    ldesc+=${ldesc:+,}'{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"'$d'","size":'$s'}'
    diffs+=${diffs:+,}\"$i\"
  done
  case $cfg in *'"Env":'*) ;; *) cfg='"Env":["'$PATHENV'"]'${cfg:+,$cfg} ;; esac
  printf '{"created":"%s","architecture":"%s","os":"linux","config":{%s},"rootfs":{"type":"layers","diff_ids":[%s]}}' \
    "$EPOCH" "$ARCH" "$cfg" "$diffs" > "$B/config.json"
  read -r d s <<< "$(blob "$B/config.json")"
  printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[%s]}' \
    "$MT_OCI" "$d" "$s" "$ldesc" > "$B/manifest.json"
  m=$(blob "$B/manifest.json"); m=${m% *}
  for c in "${refs[@]}"; do REFS+=("$c $m"); done
}
extra() { # NAME -> a fresh directory for an image's own layer
  rm -rf "$B/x-$1"; mkdir -p "$B/x-$1"; echo "$B/x-$1"
}

# --- the base layer: busybox with hard-linked applets, host tools, users -----
R=$B/base
mkdir -p "$R"/{bin,dev,etc,home,proc,root,sys,tmp,usr/sbin,usr/local/bin,usr/share/nginx/html,var/run,var/www}
chmod 1777 "$R/tmp"; chmod 700 "$R/root"
cp "$BB" "$R/bin/busybox"
for a in $("$R/bin/busybox" --list); do
  [ "$a" = busybox ] || ln "$R/bin/busybox" "$R/bin/$a"
done
cp "$(command -v pgrep)" "$(command -v ipcs)" "$R/bin/"
for l in "${LIBS[@]}"; do mkdir -p "$R$(dirname "$l")"; cp -L "$l" "$R$l"; done
cat > "$R/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
operator:x:37:37:Operator:/var:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
EOF
cat > "$R/etc/group" <<'EOF'
root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
wheel:x:10:root
www-data:x:33:
operator:x:37:
users:x:100:
nogroup:x:65534:
EOF
echo '<html><body><h1>Welcome to nginx!</h1></body></html>' > "$R/var/www/index.html"
cp "$R/var/www/index.html" "$R/usr/share/nginx/html/index.html"
cat > "$R/usr/sbin/nginx" <<'EOF'
#!/bin/sh
# cri-ts stand-in for nginx: busybox httpd serves ${PORT:-80}; this process
# (comm "nginx", "master process" in its arguments) writes /var/run/nginx.pid.
httpd -f -p "${PORT:-80}" -h /var/www &
echo $$ > /var/run/nginx.pid
trap 'kill $! 2>/dev/null; exit 0' TERM INT QUIT
wait
EOF
cat > "$R/usr/local/bin/httpd-foreground" <<'EOF'
#!/bin/sh
# cri-ts stand-in for the httpd image's entry point
echo "[core:notice] AH00094: Command line: 'httpd -D FOREGROUND'" >&2
exec httpd -f -v -p 80 -h /var/www
EOF
chmod 755 "$R/usr/sbin/nginx" "$R/usr/local/bin/httpd-foreground"
BASE=$(layer "$R")

# --- the images -----------------------------------------------------------------
NGINX='"Cmd":'$(jarr /usr/sbin/nginx -g 'daemon off; master process')
SH='"Cmd":["sh"]'
image $E/busybox:1.29-2 -- "$SH" -- "$BASE"
image $E/nginx:1.14-2 -- "$NGINX"',"ExposedPorts":{"80/tcp":{}},"StopSignal":"SIGQUIT"' -- "$BASE"
image $E/httpd:2.4.39-4 -- '"Cmd":["httpd-foreground"],"ExposedPorts":{"80/tcp":{}}' -- "$BASE"
image $S/hostnet-nginx-$ARCH:latest -- "$NGINX"',"Env":["'$PATHENV'","PORT=12003"]' -- "$BASE"

x=$(extra nonewprivs); mkdir -p "$x/usr/local/bin"
gcc -static -O2 -s -o "$x/usr/local/bin/nnp" "$HERE/images/nonewprivs.c"
chmod 4755 "$x/usr/local/bin/nnp"
image $E/nonewprivs:1.3 -- '"Entrypoint":["/usr/local/bin/nnp"]' -- "$BASE" "$(layer "$x")"

x=$(extra pause)
gcc -static -O2 -s -o "$x/pause" "$HERE/images/pause.c"
PAUSE=$(layer "$x")
for v in 3.9 3.10; do # two images, as upstream: one ID would give pause:3.9 a third tag (3.10, the sandbox image)
  image pause:$v -- '"Entrypoint":["/pause"],"User":"65535:65535","Labels":{"org.opencontainers.image.version":"'$v'"}' -- "$PAUSE"
done

for n in 1 2 3; do
  x=$(extra test-image-$n); echo "test-image-$n" > "$x/test-image-$n"
  image $S/test-image-$n:latest -- "$SH" -- "$BASE" "$(layer "$x")"
done
x=$(extra tags); echo test-image-tags > "$x/test-image-tags"
image $S/test-image-tags:1 $S/test-image-tags:2 $S/test-image-tags:3 -- "$SH" -- "$BASE" "$(layer "$x")"
x=$(extra latest); echo test-image-latest > "$x/test-image-latest"
image $S/test-image-latest:latest -- "$SH" -- "$BASE" "$(layer "$x")"
for t in test all; do
  x=$(extra tag-$t); echo "test-image-tag:$t" > "$x/test-image-tag"
  image $S/test-image-tag:$t -- "$SH" -- "$BASE" "$(layer "$x")"
done
image $S/test-image-user-uid:latest -- "$SH"',"User":"1002"' -- "$BASE"
image $S/test-image-user-username:latest -- "$SH"',"User":"www-data"' -- "$BASE"
image $S/test-image-user-uid-group:latest -- "$SH"',"User":"1003:users"' -- "$BASE"
image $S/test-image-user-username-group:latest -- "$SH"',"User":"www-data:users"' -- "$BASE"
x=$(extra group); mkdir -p "$x/etc" "$x/home/default-user"
{ cat "$R/etc/passwd"; echo 'default-user:x:1000:1000::/home/default-user:/bin/sh'; } > "$x/etc/passwd"
{ cat "$R/etc/group"; echo 'default-user:x:1000:'; echo 'group-defined-in-image:x:50000:default-user'; } > "$x/etc/group"
chown 1000:1000 "$x/home/default-user"
image $S/test-image-predefined-group:latest -- "$SH"',"User":"1000"' -- "$BASE" "$(layer "$x")"

# not critest's: the image test/bench/critest-bench.sh pulls (registry.k8s.io/cri-ts/bench-pull:1mib),
# one layer of 1 MiB of incompressible (seeded pseudo-random) data that no other image shares
x=$(extra bench); LC_ALL=C awk 'BEGIN { srand(1); for (i = 0; i < 1048576; i++) printf "%c", int(rand() * 256) }' > "$x/bench-data"
image cri-ts/bench-pull:1mib -- '' -- "$(layer "$x")"

# --- push: blobs (mounted across repositories once uploaded), then manifests ----
declare -A HOME_REPO=()
push_blob() { # REPO DIGEST
  local repo=$1 d=$2 loc hdrs
  curl -fsS -o /dev/null -I "http://$REG/v2/$repo/blobs/$d" 2>/dev/null && return 0
  hdrs=$(curl -fsS -X POST -D - -o /dev/null \
    "http://$REG/v2/$repo/blobs/uploads/${HOME_REPO[$d]:+?mount=$d&from=${HOME_REPO[$d]}}" | tr -d '\r')
  if ! grep -q '^HTTP/[0-9.]* 201' <<< "$hdrs"; then
    loc=$(sed -n 's/^[Ll]ocation: //p' <<< "$hdrs")
    case $loc in /*) loc=http://$REG$loc ;; esac
    case $loc in *\?*) loc+="&digest=$d" ;; *) loc+="?digest=$d" ;; esac
    curl -fsS -X PUT -H 'Content-Type: application/octet-stream' \
      --data-binary @"$B/blobs/${d#sha256:}" -o /dev/null "$loc"
  fi
  HOME_REPO[$d]=${HOME_REPO[$d]:-$repo}
}
: > "$B/stamp"
for r in "${REFS[@]}"; do
  read -r ref m <<< "$r"; repo=${ref%:*}; tag=${ref##*:}
  mf=$B/blobs/${m#sha256:}
  for d in $(grep -oE 'sha256:[0-9a-f]{64}' "$mf"); do push_blob "$repo" "$d"; done
  curl -fsS -X PUT -H "Content-Type: $MT_OCI" --data-binary @"$mf" -o /dev/null \
    "http://$REG/v2/$repo/manifests/$tag"
  echo "$ref $m" >> "$B/stamp"
  log "pushed $ref ($m)"
done
{ echo "$HASH"; cat "$B/stamp"; } > "$STAMP"
rm -rf "$B"
log "${#REFS[@]} images in $REG (inputs $HASH)"
echo "registry: http://$REG, $REGNOTE"
