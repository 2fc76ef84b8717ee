package dev.improv.server.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.improv.server.testing.OpenApiContract;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * deploy/cluster/compose.yaml (no container engine runs here): three NATS servers routed to each other with
 * JetStream on, every server node on every NATS server with the same secrets and a name of its own, and the load
 * balancer in front of every node.
 */
class ClusterComposeTest {
    private static final Path DIR = OpenApiContract.repoRoot().resolve("deploy/cluster");

    @Test
    void theClusterComposeFileWiresThreeNatsServersTwoNodesAndTheBalancer() throws Exception {
        JsonNode services = new YAMLMapper().readTree(Files.readString(DIR.resolve("compose.yaml"))).path("services");
        List<String> nats = new ArrayList<>();
        Map<String, JsonNode> nodes = new TreeMap<>();
        for (var e : services.properties()) {
            if (e.getKey().startsWith("nats")) {
                nats.add(e.getKey());
            } else if (e.getValue().path("environment").has("IMPROV_CLUSTER")) {
                nodes.put(e.getKey(), e.getValue().path("environment"));
            }
        }
        assertEquals(3, nats.size(), nats.toString());
        for (String n : nats) {
            List<String> cmd = new ArrayList<>();
            services.path(n).path("command").forEach(c -> cmd.add(c.asString()));
            assertTrue(cmd.contains("-js"), n + " has JetStream on: " + cmd);
            String routes = cmd.get(cmd.indexOf("--routes") + 1);
            for (String other : nats) {
                assertTrue(routes.contains("nats://" + other + ":6222"), n + " routes to " + other);
            }
        }
        assertTrue(nodes.size() >= 2, nodes.keySet().toString());
        String nginx = Files.readString(DIR.resolve("nginx.conf"));
        java.util.Set<String> names = new java.util.HashSet<>();
        for (var node : nodes.entrySet()) {
            JsonNode env = node.getValue();
            for (String n : nats) {
                assertTrue(env.path("IMPROV_CLUSTER").asString().contains("nats://" + n + ":4222"),
                        node.getKey() + " knows " + n);
            }
            assertEquals("/run/secrets/token-secret", env.path("IMPROV_TOKEN_SECRET_FILE").asString());
            assertEquals("/run/secrets/admin-key", env.path("IMPROV_ADMIN_KEY_FILE").asString());
            assertTrue(names.add(env.path("IMPROV_CLUSTER_NODE").asString()), "node names differ");
            assertTrue(nginx.contains("server " + node.getKey() + ":8080"), "the balancer reaches " + node.getKey());
        }
    }
}
