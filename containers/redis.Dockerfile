# Redis and Redis Sentinel from Debian (bookworm: Redis 7.0), on local/debian:bookworm.
FROM local/debian:bookworm
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server redis-sentinel \
 && rm -rf /var/lib/apt/lists/*
CMD ["redis-server", "--protected-mode", "yes"]
