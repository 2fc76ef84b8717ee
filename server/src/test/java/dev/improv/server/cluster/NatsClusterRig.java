package dev.improv.server.cluster;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * A 3-node NATS JetStream cluster on loopback for tests: Debian's {@code nats-server}, one process per node, on
 * free ports (never fixed ones: other checkouts run tests at the same time), each with its own store under the
 * test's temp dir; stopped by PID. A node can be killed (SIGKILL) or paused (SIGSTOP / SIGCONT).
 */
final class NatsClusterRig implements AutoCloseable {
    static final String NATS_SERVER = "nats-server";

    private final List<Process> nodes = new ArrayList<>();
    private final List<List<String>> commands = new ArrayList<>();
    private final List<String> names = new ArrayList<>();
    private final List<Integer> clientPorts = new ArrayList<>();
    private final Path dir;

    private NatsClusterRig(Path dir) {
        this.dir = dir;
    }

    /**
     * Starts {@code size} nodes and waits until JetStream answers through every one. Skips a developer's run without
     * nats-server, but fails in CI (after scripts/install-test-deps.sh a skip would hide a broken setup).
     */
    static NatsClusterRig start(Path dir, int size) throws Exception {
        boolean present = onPath(NATS_SERVER);
        String why = "cluster tests need Debian's nats-server: run scripts/install-test-deps.sh";
        if (System.getenv("CI") != null) {
            Assertions.assertTrue(present, why);
        }
        Assumptions.assumeTrue(present, why);
        NatsClusterRig rig = new NatsClusterRig(dir);
        try {
            rig.launchAll(size);
        } catch (Exception | Error e) {
            rig.close();
            throw e;
        }
        return rig;
    }

    private static boolean onPath(String command) {
        for (String p : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(p, command))) {
                return true;
            }
        }
        return false;
    }

    private void launchAll(int size) throws Exception {
        List<Integer> routePorts = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            clientPorts.add(freePort());
            routePorts.add(freePort());
        }
        StringBuilder routes = new StringBuilder();
        for (int p : routePorts) {
            routes.append(routes.length() == 0 ? "" : ",").append("nats://127.0.0.1:").append(p);
        }
        String tag = "t" + ProcessHandle.current().pid() + "-" + Long.toString(System.nanoTime(), 36);
        for (int i = 0; i < size; i++) {
            Path store = Files.createDirectories(dir.resolve("nats-" + i));
            List<String> cmd = List.of(NATS_SERVER, "-js", "-sd", store.toString(), "-a", "127.0.0.1",
                    "-p", String.valueOf(clientPorts.get(i)), "-n", tag + "-n" + i, "--cluster_name", tag,
                    "--cluster", "nats://127.0.0.1:" + routePorts.get(i), "--routes", routes.toString());
            commands.add(cmd);
            names.add(tag + "-n" + i);
            nodes.add(launch(i));
        }
        awaitJetStream();
    }

    private Process launch(int i) throws IOException {
        return new ProcessBuilder(commands.get(i)).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("nats-" + i + ".log").toFile())).start();
    }

    /** Starts a killed node again, on its ports and store, and waits until JetStream answers through it. */
    void restart(int i) throws Exception {
        nodes.set(i, launch(i));
        awaitJetStream();
    }

    /** Starts every killed node again (all of them may be down: a quorum comes back together). */
    void restartDead() throws Exception {
        for (int i = 0; i < nodes.size(); i++) {
            if (!nodes.get(i).isAlive()) {
                nodes.set(i, launch(i));
            }
        }
        awaitJetStream();
    }

    int size() {
        return nodes.size();
    }

    /** The index of the node named {@code serverName} (as JetStream reports leaders), or -1. */
    int indexOf(String serverName) {
        return names.indexOf(serverName);
    }

    /** Every node answers a JetStream account request (a meta leader was elected). */
    private void awaitJetStream() throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (int i = 0; i < nodes.size(); i++) {
            for (;;) {
                if (!nodes.get(i).isAlive()) {
                    throw new IllegalStateException("nats-server " + i + " exited: " + log(i));
                }
                try (Connection c = Nats.connect(new Options.Builder().server(url(i))
                        .connectionTimeout(Duration.ofSeconds(2)).build())) {
                    c.jetStreamManagement().getAccountStatistics();
                    break;
                } catch (IOException | io.nats.client.JetStreamApiException | IllegalStateException e) {
                    if (System.nanoTime() > until) {
                        throw new IllegalStateException("JetStream not ready on node " + i + ": " + e + "\n"
                                + log(i));
                    }
                    Thread.sleep(100);
                }
            }
        }
    }

    private String log(int i) {
        try {
            return Files.readString(dir.resolve("nats-" + i + ".log"));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    String url(int i) {
        return "nats://127.0.0.1:" + clientPorts.get(i);
    }

    /** Every node's URL, comma-separated (the server's {@code --cluster} value). */
    String urls() {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < nodes.size(); i++) {
            out.append(i == 0 ? "" : ",").append(url(i));
        }
        return out.toString();
    }

    long pid(int i) {
        return nodes.get(i).pid();
    }

    void kill(int i) throws InterruptedException {
        nodes.get(i).destroyForcibly();
        nodes.get(i).waitFor(10, TimeUnit.SECONDS);
    }

    /** Sends {@code signal} (STOP, CONT, KILL) to a process by PID. */
    static void signal(long pid, String signal) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).redirectErrorStream(true).start();
        if (!p.waitFor(5, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("kill -" + signal + " " + pid + " failed");
        }
    }

    /** A client connection to the cluster, for reading the room stream in tests. */
    Connection connect() throws IOException, InterruptedException {
        return Nats.connect(new Options.Builder().servers(urls().split(",")).build());
    }

    @Override
    public void close() throws InterruptedException {
        for (Process p : nodes) {
            if (p.isAlive()) {
                try {
                    signal(p.pid(), "CONT"); // a paused node does not die on SIGTERM
                } catch (IOException | IllegalStateException ignored) {
                    // gone meanwhile
                }
                p.destroyForcibly();
            }
        }
        for (Process p : nodes) {
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
