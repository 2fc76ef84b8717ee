# Build stage: the same Maven build as the README, tests skipped (CI runs them).
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml .
COPY web-client web-client
COPY server server
COPY load-tests/pom.xml load-tests/pom.xml
RUN mvn -B -q -DskipTests -pl web-client,server -am package

# Run stage: a JRE and the one jar. Data (token secret, token keys, admin key, session logs, webhook outbox)
# lives in the /data volume.
FROM eclipse-temurin:17-jre
# The media recorder's native library (webrtc-java, libwebrtc-java-linux-x86_64.so) needs, by `readelf -d`:
# libpulse.so.0 (libpulse0, which brings libdbus-1-3 and libx11-6), libudev.so.1 (libudev1), libXfixes.so.3
# (libxfixes3), libXrandr.so.2 (libxrandr2), libXcomposite.so.1 (libxcomposite1). A JRE image has none of the
# X11 ones; without them the recorder fails to load. curl is for the health check.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpulse0 libudev1 libx11-6 libxfixes3 libxrandr2 libxcomposite1 \
        libdbus-1-3 curl \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --system --home /data improv && mkdir -p /data && chown improv /data
COPY --from=build /src/server/target/improv-server.jar /opt/improv/improv-server.jar
USER improv
ENV IMPROV_DATA_DIR=/data IMPROV_PORT=8080
# Container-aware heap: a share of the container's memory limit, not of the host's.
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError"
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/healthz > /dev/null || exit 1
ENTRYPOINT ["java", "-jar", "/opt/improv/improv-server.jar"]
