package dev.improv.server.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.improv.server.testing.OpenApiContract;
import dev.improv.server.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * What can be checked of deploy/ without a container engine: the files parse, they agree with each other (the TURN
 * secret, the scrape target, the mounted files), and every metric a dashboard query names exists in the
 * /metrics of a running server.
 */
@Tag("integration")
class DeployBundleTest {
    private static final Path DEPLOY = OpenApiContract.repoRoot().resolve("deploy");
    private static final ObjectMapper YAML = new YAMLMapper();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern METRIC = Pattern.compile("\\bimprov_[a-z0-9_]+");

    @TempDir
    Path data;

    @Test
    void theComposeFileWiresServerTurnPrometheusAndGrafana() throws Exception {
        JsonNode compose = YAML.readTree(Files.readString(DEPLOY.resolve("compose.yaml")));
        JsonNode services = compose.path("services");
        for (String s : List.of("server", "coturn", "prometheus", "grafana")) {
            assertTrue(services.has(s), "service " + s);
        }
        // one TURN secret: the server's --turn-secret is coturn's static-auth-secret
        assertEquals("${TURN_SECRET:?set TURN_SECRET (openssl rand -hex 32)}",
                services.path("server").path("environment").path("IMPROV_TURN_SECRET").asString());
        List<String> coturn = new ArrayList<>();
        services.path("coturn").path("command").forEach(c -> coturn.add(c.asString()));
        assertTrue(coturn.contains("--use-auth-secret") && coturn.contains("--static-auth-secret=${TURN_SECRET}"),
                coturn.toString());
        // Prometheus scrapes the server's admin listener, where /metrics is
        String adminPort = services.path("server").path("environment").path("IMPROV_ADMIN_PORT").asString();
        JsonNode prometheus = YAML.readTree(Files.readString(DEPLOY.resolve("prometheus/prometheus.yml")));
        JsonNode job = prometheus.path("scrape_configs").path(0);
        assertEquals("/metrics", job.path("metrics_path").asString());
        assertEquals("server:" + adminPort, job.path("static_configs").path(0).path("targets").path(0).asString());
        // every file a service mounts is in deploy/
        for (JsonNode service : services) {
            for (JsonNode volume : service.path("volumes")) {
                String source = volume.asString().split(":")[0];
                if (source.startsWith("./")) {
                    assertTrue(Files.exists(DEPLOY.resolve(source.substring(2))), source);
                }
            }
        }
        assertEquals("CMD", services.path("server").path("healthcheck").path("test").path(0).asString());
        for (String f : List.of("grafana/provisioning/datasources/prometheus.yaml",
                "grafana/provisioning/dashboards/improv.yaml")) {
            assertTrue(YAML.readTree(Files.readString(DEPLOY.resolve(f))).path("apiVersion").asInt() == 1, f);
        }
        String datasource = YAML.readTree(Files.readString(DEPLOY.resolve(
                "grafana/provisioning/datasources/prometheus.yaml"))).path("datasources").path(0).path("uid").asString();
        JsonNode dashboard = JSON.readTree(Files.readString(DEPLOY.resolve("grafana/dashboards/improv.json")));
        for (JsonNode panel : dashboard.path("panels")) {
            assertEquals(datasource, panel.path("datasource").path("uid").asString(), panel.path("title").asString());
        }
    }

    @Test
    void everyMetricTheDashboardQueriesIsInTheServersMetrics() throws Exception {
        JsonNode dashboard = JSON.readTree(Files.readString(DEPLOY.resolve("grafana/dashboards/improv.json")));
        Set<String> named = new TreeSet<>();
        List<String> titles = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            titles.add(panel.path("title").asString());
            for (JsonNode target : panel.path("targets")) {
                Matcher m = METRIC.matcher(target.path("expr").asString());
                while (m.find()) {
                    named.add(m.group());
                }
            }
        }
        for (String wanted : List.of("Connections", "Rooms", "Members by role", "Fan-out latency",
                "Session log append → durable", "Errors by code", "Lobby", "Webhook backlog")) {
            assertTrue(titles.contains(wanted), wanted + " in " + titles);
        }
        // a webhook endpoint, so that the per-endpoint meters exist; its URL is a closed loopback port
        Path hooks = data.resolve("webhooks.json");
        Files.writeString(hooks, "{\"endpoints\":[{\"id\":\"studio\",\"url\":\"http://127.0.0.1:9/hooks\","
                + "\"secret\":\"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\",\"events\":[\"*\"]}]}");
        Files.setPosixFilePermissions(hooks, PosixFilePermissions.fromString("rw-------"));
        try (TestServer server = TestServer.startWithLog(data.resolve("data"), "--webhooks", hooks.toString(),
                "--no-media-recorder")) {
            String metrics = server.metrics();
            Set<String> exposed = new TreeSet<>();
            for (String line : metrics.split("\n")) {
                if (!line.startsWith("#") && !line.isBlank()) {
                    exposed.add(line.split("[{ ]", 2)[0]);
                }
            }
            List<String> missing = new ArrayList<>();
            for (String name : named) {
                if (!exposed.contains(name)) {
                    missing.add(name);
                }
            }
            assertEquals(List.of(), missing, "dashboard metrics the server does not expose; it has: " + exposed);
            assertFalse(named.isEmpty());
        }
    }

    @Test
    void theSystemdUnitAndTheDockerfileRunTheJarAsAnUnprivilegedUser() throws Exception {
        String unit = Files.readString(DEPLOY.resolve("systemd/improv-server.service"));
        for (String section : List.of("[Unit]", "[Service]", "[Install]")) {
            assertTrue(unit.contains("\n" + section + "\n"), section);
        }
        assertTrue(unit.contains("\nUser=improv\n") && unit.contains("ExecStart=/usr/bin/java -jar "
                + "/opt/improv/improv-server.jar\n") && unit.contains("MaxRAMPercentage"), unit);
        String docker = Files.readString(OpenApiContract.repoRoot().resolve("Dockerfile"));
        assertTrue(docker.contains("\nUSER improv\n"), "non-root");
        assertTrue(docker.contains("HEALTHCHECK") && docker.contains("/healthz"), "health check");
        assertTrue(docker.contains("-XX:MaxRAMPercentage="), "heap from the container's limit");
        for (String pkg : List.of("libpulse0", "libudev1", "libx11-6", "libxfixes3", "libxrandr2", "libxcomposite1")) {
            assertTrue(docker.contains(pkg), "the media recorder's native library needs " + pkg);
        }
    }
}
