# syntax=docker/dockerfile:1
# Build: docker build --build-arg VERSION=$(git describe --always --dirty) -t checkout .
# Run:   docker run -p 8080:8080 -v checkout-data:/data -v $PWD/checkout.yaml:/etc/checkout/checkout.yaml:ro \
#          -e CHECKOUT_CONFIG=/etc/checkout/checkout.yaml -e CHECKOUT_PUBLIC_URL=https://pay.example.com ... checkout

FROM golang:1.26-bookworm AS build
WORKDIR /src
# Modules first, so a source change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# cgo is required: the SQLite driver (mattn/go-sqlite3) is C.
RUN CGO_ENABLED=1 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/checkout ./cmd/checkout

FROM debian:bookworm-slim
# glibc comes with the image (the cgo binary links it); ca-certificates for https to Moka.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 checkout \
 && useradd --system --uid 10001 --gid 10001 --home-dir /data --shell /usr/sbin/nologin checkout \
 && mkdir -p /data \
 && chown 10001:10001 /data
COPY --from=build /out/checkout /usr/local/bin/checkout
ENV CHECKOUT_DB=/data/checkout.db \
    CHECKOUT_ADDR=0.0.0.0:8080
VOLUME ["/data"]
WORKDIR /data
USER 10001:10001
EXPOSE 8080
# The binary checks itself, so the image needs no curl. Without -url it asks /healthz at
# CHECKOUT_ADDR (0.0.0.0 is asked as 127.0.0.1), so overriding the address moves the check too.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["checkout", "healthcheck"]
ENTRYPOINT ["checkout"]
CMD ["serve"]
