# shellcheck shell=bash
# The architectures dockgate is built for, in one table: Debian's name,
# the GNU triplet of its cross compiler, Meson's CPU family and byte
# order, qemu-user's name for running it here, and the OCI platform an
# image of it declares. Sourced by the build, test and release scripts.
#
# The multiarch directory (where libseccomp-dev:ARCH puts its files) is
# the triplet but for i386, whose compiler is i686-. The C library comes
# from libc6-dev:ARCH, which gets Debian's security updates, where the
# archive has it in the host's version; s390x is no longer in Debian 12's
# security archive, so its libc6-dev cannot match the host's updated
# linux-libc-dev and it builds against the cross toolchain's own
# libc6-dev-s390x-cross (the point release's glibc).
#
# arch     compiler triplet       multiarch dir          meson cpu endian qemu    OCI platform   libc
DOCKGATE_ARCH_TABLE='
amd64    x86_64-linux-gnu       x86_64-linux-gnu       x86_64    little x86_64  linux/amd64    multiarch
arm64    aarch64-linux-gnu      aarch64-linux-gnu      aarch64   little aarch64 linux/arm64/v8 multiarch
armhf    arm-linux-gnueabihf    arm-linux-gnueabihf    arm       little arm     linux/arm/v7   multiarch
i386     i686-linux-gnu         i386-linux-gnu         x86       little i386    linux/386      multiarch
ppc64el  powerpc64le-linux-gnu  powerpc64le-linux-gnu  ppc64     little ppc64le linux/ppc64le  multiarch
s390x    s390x-linux-gnu        s390x-linux-gnu        s390x     big    s390x   linux/s390x    cross
'
# Every architecture of the table, in its order.
DOCKGATE_ARCHES=$(awk 'NF { print $1 }' <<<"$DOCKGATE_ARCH_TABLE" | xargs)

# arch_info ARCH: sets ARCH_TRIPLET, ARCH_MULTIARCH, ARCH_CPU, ARCH_ENDIAN,
# ARCH_QEMU, ARCH_PLATFORM and ARCH_LIBC; returns 1 (after saying so) for an unknown name.
arch_info() {
	local row
	row=$(awk -v a="$1" '$1 == a' <<<"$DOCKGATE_ARCH_TABLE")
	if [ -z "$row" ]; then
		echo "unknown architecture '$1' (known: $DOCKGATE_ARCHES)" >&2
		return 1
	fi
	# shellcheck disable=SC2034 # read by the scripts that source this
	read -r _ ARCH_TRIPLET ARCH_MULTIARCH ARCH_CPU ARCH_ENDIAN ARCH_QEMU ARCH_PLATFORM ARCH_LIBC <<<"$row"
}

# The architecture of this machine, in Debian's names.
native_arch() {
	dpkg --print-architecture
}

# Docker's TARGETARCH/TARGETVARIANT (BuildKit's names) -> Debian's.
arch_from_docker() {
	case "$1${2:+/$2}" in
	amd64) echo amd64 ;;
	arm64 | arm64/v8) echo arm64 ;;
	arm | arm/v7) echo armhf ;;
	386) echo i386 ;;
	ppc64le) echo ppc64el ;;
	s390x) echo s390x ;;
	*) echo "no Debian architecture for docker's '$1${2:+/$2}'" >&2; return 1 ;;
	esac
}

# meson_cross_file ARCH PATH: writes Meson's cross file for ARCH. The
# compiler is Debian's cross gcc, pkg-config looks only at ARCH's
# multiarch directory (libseccomp-dev:ARCH), and the unit tests run
# under qemu-user.
meson_cross_file() {
	arch_info "$1" || return 1
	cat >"$2" <<-EOT
	[binaries]
	c = '$ARCH_TRIPLET-gcc'
	strip = '$ARCH_TRIPLET-strip'
	pkgconfig = 'pkg-config'
	exe_wrapper = 'qemu-$ARCH_QEMU-static'

	[properties]
	pkg_config_libdir = ['/usr/lib/$ARCH_MULTIARCH/pkgconfig', '/usr/share/pkgconfig']

	[host_machine]
	system = 'linux'
	cpu_family = '$ARCH_CPU'
	cpu = '$ARCH_CPU'
	endian = '$ARCH_ENDIAN'
	EOT
}
