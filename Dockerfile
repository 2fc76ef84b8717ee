# Build stage: the same Maven build as the README, tests skipped (CI runs them).
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml .
COPY web-client web-client
COPY server server
COPY load-tests/pom.xml load-tests/pom.xml
RUN mvn -B -q -DskipTests -pl web-client,server -am package

# Run stage: a JRE and the one jar. Data (token secret, admin key, session logs) lives in the /data volume.
FROM eclipse-temurin:17-jre
RUN useradd --system --home /data improv && mkdir -p /data && chown improv /data
COPY --from=build /src/server/target/improv-server.jar /opt/improv/improv-server.jar
USER improv
ENV IMPROV_DATA_DIR=/data IMPROV_PORT=8080
VOLUME /data
EXPOSE 8080
ENTRYPOINT ["java", "-jar", "/opt/improv/improv-server.jar"]
