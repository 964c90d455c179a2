#!/usr/bin/env bash
# Builds the Fleet502 packages into artifacts/packages/:
#   fleet502-agent_<v>_amd64.deb      fleet502-agent-<v>-1.x86_64.rpm
#   fleet502-collector_<v>_amd64.deb  fleet502-collector-<v>-1.x86_64.rpm
#
#   packaging/build-packages.sh [version]     version defaults to <Version> in Directory.Build.props
#
# The agent is published with NativeAOT; the collector as a self-contained single-file JIT
# program (LiteDB does not survive trimming/AOT, and Debian 12 has no .NET 10 runtime package).
# Installs what it needs with apt-get when missing (rpm, lintian, rpmlint, binutils), idempotently.
#
# Environment switches:
#   FLEET502_PKG_NO_RPM=1       build the .debs only
#   FLEET502_PKG_NO_LINT=1      skip lintian and rpmlint
#   FLEET502_PKG_REUSE_PUBLISH=1  reuse the previous publish output (packaging-only changes)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
out="$root/artifacts/packages"
work="$root/artifacts/packaging-work"
rid=linux-x64
deb_arch=amd64
rpm_arch=x86_64
release=1
maintainer="Fleet502 maintainers <maintainers@fleet502.invalid>"

log() { printf '== %s\n' "$*"; }
die() { printf 'build-packages: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- version
version=${1:-$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$root/Directory.Build.props" | head -n1)}
[[ $version =~ ^[0-9]+(\.[0-9]+){1,3}(-[0-9A-Za-z.]+)?$ ]] \
    || die "version '$version' is not like 1.2.3 or 1.2.3-rc.1"
# A pre-release suffix sorts before the release with '~' in both dpkg and rpm.
pkg_version=${version/-/\~}
msbuild_version=$version

# Reproducible timestamps: the last commit's time, unless the caller set one.
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
    SOURCE_DATE_EPOCH=$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)
fi
export SOURCE_DATE_EPOCH

# ---------------------------------------------------------------- tools
install_debs() {
    [ $# -gt 0 ] || return 0
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || { echo "build-packages: cannot install $* (not root, no sudo)" >&2; return 1; }
        sudo="sudo"
    fi
    log "installing $*"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1 \
        || { $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null; }
}

command -v dotnet >/dev/null 2>&1 || die "the .NET 10 SDK (dotnet) is required"
command -v dpkg-deb >/dev/null 2>&1 || die "dpkg-deb is required (a Debian-based build machine)"
need=()
command -v objdump >/dev/null 2>&1 || need+=(binutils)
[ "${FLEET502_PKG_NO_RPM:-0}" = 1 ] || command -v rpmbuild >/dev/null 2>&1 || need+=(rpm)
if [ "${FLEET502_PKG_NO_LINT:-0}" != 1 ]; then
    command -v lintian >/dev/null 2>&1 || need+=(lintian)
    [ "${FLEET502_PKG_NO_RPM:-0}" = 1 ] || command -v rpmlint >/dev/null 2>&1 || need+=(rpmlint)
fi
install_debs "${need[@]}" || die "could not install ${need[*]}"

# ---------------------------------------------------------------- publish
publish="$work/publish"
mkdir -p "$work"
if [ "${FLEET502_PKG_REUSE_PUBLISH:-0}" = 1 ] && [ -x "$publish/agent/fleet502-agent" ] && [ -x "$publish/collector/fleet502-collector" ]; then
    log "reusing $publish"
else
    rm -rf "$publish"
    # --artifacts-path keeps obj/ and bin/ of this build apart from the developers' own builds.
    common=(-c Release -r "$rid" -nologo --artifacts-path "$work/build" "-p:Version=$msbuild_version")
    log "publish agent (NativeAOT)"
    dotnet publish "$root/agent/Fleet502.Agent.csproj" "${common[@]}" -o "$publish/agent" >"$work/agent-publish.log" 2>&1 \
        || { cat "$work/agent-publish.log"; die "agent publish failed"; }
    log "publish collector (self-contained single-file, JIT)"
    dotnet publish "$root/collector/Fleet502.Collector.csproj" "${common[@]}" --self-contained \
        -p:PublishSingleFile=true -p:PublishTrimmed=false -p:PublishAot=false \
        -p:IsTransformWebConfigDisabled=true -p:DebugType=none \
        -o "$publish/collector" >"$work/collector-publish.log" 2>&1 \
        || { cat "$work/collector-publish.log"; die "collector publish failed"; }
fi
agent_bin="$publish/agent/fleet502-agent"
collector_bin="$publish/collector/fleet502-collector"
[ -x "$agent_bin" ] || die "$agent_bin missing"
[ -x "$collector_bin" ] || die "$collector_bin missing"
"$agent_bin" --help >/dev/null || die "the published agent does not run (--help)"

# Highest GLIBC_x.y symbol version the binary needs.
glibc_needed() { objdump -T "$1" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n1; }
agent_glibc=$(glibc_needed "$agent_bin")
collector_glibc=$(glibc_needed "$collector_bin")
log "agent needs glibc >= $agent_glibc, collector needs glibc >= $collector_glibc"

# ---------------------------------------------------------------- staging
# stage <pkg> <short> <binary> <tree> <deb|rpm>
stage() {
    local pkg=$1 short=$2 bin=$3 tree=$4 flavour=$5
    rm -rf "$tree"
    install -D -m 0755 "$bin" "$tree/usr/bin/$pkg"
    install -D -m 0644 "$here/systemd/$pkg.service" "$tree/usr/lib/systemd/system/$pkg.service"
    install -D -m 0644 "$here/sysusers/$pkg.conf" "$tree/usr/lib/sysusers.d/$pkg.conf"
    install -D -m 0644 "$here/config/$short.json" "$tree/etc/fleet502/$short.json"
    install -D -m 0644 "$here/doc/$pkg.README" "$tree/usr/share/doc/$pkg/README"
    install -D -m 0644 "$here/debian/copyright" "$tree/usr/share/doc/$pkg/copyright"
    if [ "$flavour" = deb ]; then
        install -D -m 0644 "$here/default/$pkg" "$tree/etc/default/$pkg"
        install -D -m 0644 "$here/debian/lintian-overrides.$pkg" "$tree/usr/share/lintian/overrides/$pkg"
        mkdir -p "$tree/usr/share/doc/$pkg"
        {
            printf '%s (%s) unstable; urgency=medium\n\n' "$pkg" "$pkg_version"
            printf '  * Built by packaging/build-packages.sh.\n\n'
            printf ' -- %s  %s\n' "$maintainer" "$(date -u -R -d "@$SOURCE_DATE_EPOCH")"
        } | gzip -9n >"$tree/usr/share/doc/$pkg/changelog.gz"
        chmod 0644 "$tree/usr/share/doc/$pkg/changelog.gz"
    else
        install -D -m 0644 "$here/default/$pkg" "$tree/etc/sysconfig/$pkg"
        install -d -m 0750 "$tree/var/lib/$pkg"
    fi
}

# fill <template> <pkg> <short>: the maintainer-script and control placeholders.
fill() {
    sed -e "s|@PKG@|$2|g" -e "s|@CONFIG@|/etc/fleet502/$3.json|g" -e "s|@DESC@|Fleet502 $3|g" "$1"
}

# build_deb <pkg> <short> <binary> <depends> <summary> <long description file>
build_deb() {
    local pkg=$1 short=$2 bin=$3 depends=$4 summary=$5 longdesc=$6
    local tree="$work/deb/$pkg"
    stage "$pkg" "$short" "$bin" "$tree" deb
    mkdir -p "$tree/DEBIAN"
    for script in postinst prerm postrm; do
        fill "$here/debian/$script.in" "$pkg" "$short" >"$tree/DEBIAN/$script"
        chmod 0755 "$tree/DEBIAN/$script"
    done
    (cd "$tree" && find etc -type f | sort | sed 's:^:/:') >"$tree/DEBIAN/conffiles"
    (cd "$tree" && find . -path ./DEBIAN -prune -o -type f -print | sed 's:^\./::' | LC_ALL=C sort | xargs md5sum) >"$tree/DEBIAN/md5sums"
    local size
    size=$(du -sk --apparent-size --exclude=DEBIAN "$tree" | cut -f1)
    {
        printf 'Package: %s\nVersion: %s\nArchitecture: %s\nMaintainer: %s\n' "$pkg" "$pkg_version" "$deb_arch" "$maintainer"
        printf 'Installed-Size: %s\nDepends: %s\n' "$size" "$depends"
        printf 'Recommends: ca-certificates, libssl3 | libssl1.1\n'
        printf 'Section: net\nPriority: optional\nDescription: %s\n' "$summary"
        sed -e 's/^$/./' -e 's/^/ /' "$longdesc"
    } >"$tree/DEBIAN/control"
    chmod 0644 "$tree/DEBIAN/control" "$tree/DEBIAN/conffiles" "$tree/DEBIAN/md5sums"
    find "$tree" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
    local deb="$out/${pkg}_${pkg_version}_${deb_arch}.deb"
    dpkg-deb --root-owner-group -Zxz --build "$tree" "$deb" >/dev/null
    log "built $(basename "$deb") ($(du -h "$deb" | cut -f1))"
}

# build_rpm <pkg> <short> <binary>
build_rpm() {
    local pkg=$1 short=$2 bin=$3
    local tree="$work/rpm/$pkg-root" top="$work/rpm/$pkg-top"
    stage "$pkg" "$short" "$bin" "$tree" rpm
    find "$tree" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
    rm -rf "$top"
    mkdir -p "$top"
    rpmbuild -bb --quiet \
        --define "_topdir $top" \
        --define "_rpmdir $out" \
        --define "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm" \
        --define "pkgversion $pkg_version" \
        --define "pkgrelease $release" \
        --define "stageroot $tree" \
        --define "changelogdate $(date -u -d "@$SOURCE_DATE_EPOCH" '+%a %b %d %Y')" \
        --define "_binary_payload w6.xzdio" \
        --define "use_source_date_epoch_as_buildtime 1" \
        --define "clamp_mtime_to_source_date_epoch 1" \
        --target "$rpm_arch" \
        "$here/rpm/$pkg.spec" >"$work/rpm/$pkg.log" 2>&1 \
        || { cat "$work/rpm/$pkg.log"; die "rpmbuild $pkg failed"; }
    local rpm="$out/$pkg-$pkg_version-$release.$rpm_arch.rpm"
    [ -f "$rpm" ] || die "rpmbuild did not write $rpm"
    log "built $(basename "$rpm") ($(du -h "$rpm" | cut -f1))"
}

mkdir -p "$out" "$work/deb" "$work/rpm"
rm -f "$out"/fleet502-agent[_-]* "$out"/fleet502-collector[_-]*

agent_desc="$work/agent.description"
cat >"$agent_desc" <<'EOF'
fleet502-agent follows nginx's error logs and the host's listening sockets
(TCP and unix), classifies every upstream failure (backend down, missing
socket, exhausted pool, timeouts, oversized headers) and streams the events
to a fleet502-collector over one acknowledged gRPC stream.

Native binary (NativeAOT); runs as the unprivileged user fleet502-agent
under a hardened systemd unit (Type=notify).
EOF
collector_desc="$work/collector.description"
cat >"$collector_desc" <<'EOF'
fleet502-collector receives the fleet502-agent event streams over gRPC
(port 7400), stores them in an embedded LiteDB file, correlates errors with
host state into root-cause incidents, serves them over a REST API (port
7401) and posts them to webhooks.

Self-contained single-file .NET program (no .NET runtime package needed);
runs as the unprivileged user fleet502-collector under a hardened systemd
unit (Type=notify).
EOF

build_deb fleet502-agent agent "$agent_bin" "libc6 (>= $agent_glibc), adduser" \
    "Fleet502 agent: finds why nginx answers 502/504 on this host" "$agent_desc"
build_deb fleet502-collector collector "$collector_bin" \
    "libc6 (>= $collector_glibc), libgcc-s1 (>= 3.0), libstdc++6 (>= 6), adduser" \
    "Fleet502 collector: turns agents' 502 evidence into incidents" "$collector_desc"

if [ "${FLEET502_PKG_NO_RPM:-0}" != 1 ]; then
    build_rpm fleet502-agent agent "$agent_bin"
    build_rpm fleet502-collector collector "$collector_bin"
fi

# ---------------------------------------------------------------- lint (findings are reported, not fatal)
if [ "${FLEET502_PKG_NO_LINT:-0}" != 1 ]; then
    lint_log="$out/lint.txt"
    : >"$lint_log"
    for deb in "$out"/*.deb; do
        log "lintian $(basename "$deb")"
        lintian --tag-display-limit 0 "$deb" 2>&1 | tee -a "$lint_log" || true
    done
    if [ "${FLEET502_PKG_NO_RPM:-0}" != 1 ] && command -v rpmlint >/dev/null 2>&1; then
        for rpm in "$out"/*.rpm; do
            log "rpmlint $(basename "$rpm")"
            rpmlint -r "$here/rpm/fleet502.rpmlintrc" "$rpm" 2>&1 | tee -a "$lint_log" || true
        done
    fi
fi

log "packages in $out:"
ls -l "$out"/*.deb
[ "${FLEET502_PKG_NO_RPM:-0}" = 1 ] || ls -l "$out"/*.rpm
