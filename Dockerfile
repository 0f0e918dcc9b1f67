# syntax=docker/dockerfile:1
# One image with every imgup binary (imgup-api, imgup-auth, imgup-operator, imgup),
# for docker-compose.yml: pick one with `command:`. Dependencies are cached in
# BuildKit cache mounts, so a code change rebuilds only the workspace crates.
# (scripts/kind-e2e.sh builds one small distroless image per binary with operator/Dockerfile.)
ARG RUST_VERSION=1.95.0

FROM rust:${RUST_VERSION}-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target,id=imgup-compose-target \
    cargo build --release --locked -p imgup-api -p imgup-auth -p imgup-operator -p imgup \
    && mkdir /out \
    && cp target/release/imgup-api target/release/imgup-auth target/release/imgup-operator target/release/imgup /out/

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home imgup
COPY --from=build /out/ /usr/local/bin/
USER 10001:10001
CMD ["imgup-api"]
