# dockgate image, built from source: `docker build -t dockgate .` on a
# clean checkout. A Debian 12 stage compiles the static binary, the image
# is that binary and two /etc files FROM scratch.
#
# Multi-architecture (an OCI image index, one image per architecture),
# with BuildKit: the build stage runs on the builder's own architecture
# and cross-compiles for each target with Debian's cross gcc, so nothing
# is emulated:
#   docker buildx build --platform linux/amd64,linux/arm64,linux/arm/v7,linux/386,linux/ppc64le,linux/s390x \
#     -o type=oci,dest=dockgate.oci.tar .
# Without a registry or buildx, scripts/oci-image.sh makes the same index
# from scripts/build-static.sh's binaries.
#
# DEBIAN_IMAGE: the Debian 12 image of the build stage. Where no registry
# is reachable, scripts/debian-base.sh makes one from Debian's packages
# (mmdebstrap) with the build packages already in it, and the build
# then needs no network:
#   docker build --build-arg DEBIAN_IMAGE=dockgate-build-base:bookworm .
#
# BUILDPLATFORM is BuildKit's; the legacy builder leaves it empty, and
# its default here is the usual build machine: with the legacy builder
# on another architecture, pass --build-arg BUILDPLATFORM=linux/arm64
# (for example).
ARG DEBIAN_IMAGE=debian:bookworm-slim

FROM --platform=${BUILDPLATFORM:-linux/amd64} ${DEBIAN_IMAGE} AS build
# BuildKit's names of the image's architecture; empty with the legacy
# builder, which builds for the daemon's own.
ARG TARGETARCH
ARG TARGETVARIANT
# Two steps, two layers: with a copying storage driver (vfs) every layer
# is a whole copy of the base.
COPY . /src
RUN /src/scripts/image-rootfs.sh "$TARGETARCH" "$TARGETVARIANT" /out/rootfs

FROM scratch
COPY --from=build /out/rootfs/ /

# The defaults of docker-socket-proxy, spelled out so `docker inspect` shows
# them; every setting is documented in README.md.
ENV SOCKET_PATH=/var/run/docker.sock \
    LOG_LEVEL=info \
    DISABLE_IPV6=0 \
    EVENTS=1 PING=1 VERSION=1 \
    AUTH=0 BUILD=0 COMMIT=0 CONFIGS=0 CONTAINERS=0 DISTRIBUTION=0 EXEC=0 \
    GRPC=0 IMAGES=0 INFO=0 NETWORKS=0 NODES=0 PLUGINS=0 SECRETS=0 \
    SERVICES=0 SESSION=0 SWARM=0 SYSTEM=0 TASKS=0 VOLUMES=0 \
    POST=0 ALLOW_START=0 ALLOW_STOP=0 ALLOW_RESTARTS=0

EXPOSE 2375
# Not root: give the container the group that owns the Docker socket,
# e.g. `--group-add "$(stat -c %g /var/run/docker.sock)"`.
USER 65534:65534
HEALTHCHECK --interval=30s --timeout=5s --start-period=2s --retries=3 \
    CMD ["/dockgate", "--healthcheck"]
ENTRYPOINT ["/dockgate"]
