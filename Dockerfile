# dockgate image: one static binary, nothing else.
# Build the binary first (no base image is pulled):
#   scripts/build-static.sh && DOCKER_BUILDKIT=0 docker build -t dockgate .
FROM scratch
COPY dist/rootfs/ /

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
