package dev.improv.server.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.improv.server.config.AtomicFiles;
import dev.improv.server.protocol.ProtocolCodec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * How far the facts kept outside the room journals are in the outbox: the number of the last consent withdrawal
 * and the names of the finished exports whose events the outbox has made durable ({@code webhooks/feeds.json},
 * written atomically and fsynced by the outbox's writer thread). A crash between the fact (withdrawal forced to
 * its own log, export renamed into place) and the outbox's fsync leaves the fact past the cursor: the next start
 * queues it again, so no delivery is lost (a duplicate has the same id). A data dir without the file starts at
 * what it holds then (no flood of old facts on the first start). Writer thread only after the constructor.
 */
final class WebhookFeeds {
    /** Export names remembered (the oldest are forgotten beyond this: exports are made by hand, rarely). */
    static final int MAX_EXPORTS = 10_000;

    private final Path file;
    private final boolean existed;
    private long withdrawals;
    private final Set<String> exports = new LinkedHashSet<>();

    WebhookFeeds(Path dir) throws IOException {
        this.file = dir.resolve("feeds.json");
        this.existed = Files.exists(file);
        if (existed) {
            JsonNode n = ProtocolCodec.mapper().readTree(Files.readAllBytes(file));
            withdrawals = n.path("withdrawals").asLong();
            n.path("exports").forEach(e -> exports.add(e.asText()));
        }
    }

    /** False on the first start with webhooks in this data dir: the caller takes what is there as the start. */
    boolean existed() {
        return existed;
    }

    long withdrawals() {
        return withdrawals;
    }

    boolean announced(String exportName) {
        return exports.contains(exportName);
    }

    /** Withdrawals up to {@code number} are in the outbox. */
    void withdrawalQueued(long number) {
        if (number > withdrawals) {
            withdrawals = number;
            save();
        }
    }

    /** The finished export {@code name} is in the outbox. */
    void exportQueued(String name) {
        if (exports.add(name)) {
            while (exports.size() > MAX_EXPORTS) {
                exports.remove(exports.iterator().next());
            }
            save();
        }
    }

    /** Writes the cursor (tmp, fsync, rename, fsync of the folder). */
    void save() {
        ObjectNode n = ProtocolCodec.mapper().createObjectNode();
        n.put("withdrawals", withdrawals);
        exports.forEach(n.putArray("exports")::add);
        try {
            AtomicFiles.write(file, ProtocolCodec.mapper().writeValueAsBytes(n));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("webhook feeds " + file, e); // the next start queues again
        }
    }
}
