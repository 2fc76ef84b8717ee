package dev.improv.server;

import dev.improv.server.config.ServerCommand;
import dev.improv.server.config.ServerConfig;
import dev.improv.server.app.ServerApp;
import dev.improv.server.cli.OperatorCli;
import java.io.PrintWriter;
import io.netty.util.ResourceLeakDetector;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;

/**
 * Entry point of {@code improv-server.jar}: parses flags, starts the server, stops it on SIGTERM / Ctrl-C. A first
 * argument that names an operator command ({@code rooms}, {@code keys}, … see {@link OperatorCli}) runs that
 * command against a running server instead; server flags all start with {@code --}, so nothing else changes.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) throws Exception {
        if (OperatorCli.isCommand(args)) {
            System.exit(OperatorCli.run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
        }
        quietLeakDetector();
        ServerCommand command = new ServerCommand();
        CommandLine cli = new CommandLine(command);
        try {
            cli.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            System.err.println(e.getMessage());
            cli.usage(System.err);
            System.exit(2);
        }
        if (cli.isUsageHelpRequested()) {
            cli.usage(System.out);
            return;
        }
        if (cli.isVersionHelpRequested()) {
            cli.printVersionHelp(System.out);
            return;
        }
        ServerConfig config;
        try {
            config = command.toConfig();
        } catch (IllegalArgumentException e) {
            System.err.println("invalid configuration: " + e.getMessage());
            System.exit(2);
            return;
        }
        ServerApp server;
        try {
            server = ServerApp.start(config);
        } catch (IllegalArgumentException e) {
            System.err.println("invalid configuration: " + e.getMessage());
            System.exit(2);
            return;
        } catch (dev.improv.server.cluster.ClusterUnavailableException e) {
            System.err.println("cannot join the cluster: " + e.getMessage());
            System.exit(3);
            return;
        }
        if (config.port() == 0) {
            config = config.withPublicUrl(config.publicUrl().replace(":0", ":" + server.port()));
        }
        printBanner(config, server, command.adminKeySource());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "shutdown"));
        stopped.await();
    }

    /**
     * Netty's default leak detector (SIMPLE) records a stack trace for one buffer in 128: in the 1,000-room
     * fan-out benchmark that was a fifth of everything the server allocated (JFR allocation samples). The test
     * suite runs with paranoid detection, which is where leaks are found; an operator who wants it in production
     * sets {@code -Dio.netty.leakDetection.level=simple} (or higher) and this leaves it alone.
     */
    private static void quietLeakDetector() {
        if (System.getProperty("io.netty.leakDetection.level") == null
                && System.getProperty("io.netty.leakDetectionLevel") == null) {
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        }
    }

    /** Says where the admin key is, never what it is (the banner ends up in logs and terminals). */
    private static void printBanner(ServerConfig config, ServerApp server, String adminKeySource) {
        String url = config.publicUrl();
        String adminUrl = server.adminPort() < 0 ? url : "http://" + (config.admin().host().contains(":")
                ? "[" + config.admin().host() + "]" : config.admin().host()) + ":" + server.adminPort();
        System.out.printf("""
                improv-server %s listening on port %d (%s)
                  web:      %s/
                  health:   %s/healthz
                  metrics:  %s/metrics
                  data dir: %s
                  admin key: %s

                Create a room and get join links, one per role (KEY holds the admin key):
                  curl -s -X POST -H "Authorization: Bearer $KEY" %s/api/rooms
                %n""", dev.improv.server.config.ServerCommand.serverVersion(), server.port(), server.transportName(),
                url, url, adminUrl, config.dataDir(), adminKeySource, adminUrl);
    }
}
