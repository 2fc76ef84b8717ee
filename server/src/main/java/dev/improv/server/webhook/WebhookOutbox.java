package dev.improv.server.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.improv.server.config.AtomicFiles;
import dev.improv.server.config.OwnerOnly;
import dev.improv.server.protocol.ProtocolCodec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable outbox: an append-only JSON-lines file ({@code add} a delivery, mark it {@code done} or {@code dead})
 * owned by one writer thread ({@code webhook-outbox}) that takes commands in batches, writes them, fsyncs once per
 * batch, and only then hands the new deliveries to the dispatcher — so every delivery that is ever attempted
 * survives a crash and is attempted again after a restart (at least once). A torn last line (crash mid-write) is
 * ignored. On start and when mostly finished lines pile up, the file is rewritten with the pending deliveries only.
 * Producers ({@link #offer}) never block: the queue is bounded and a full queue counts a drop.
 */
final class WebhookOutbox implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WebhookOutbox.class);
    private static final int BATCH = 1024;
    private static final int COMPACT_AFTER_LINES = 10_000;

    /** What the writer thread is asked to do. */
    sealed interface Command {
    }

    /** A new event: one delivery per endpoint that wants it. */
    record NewEvent(WebhookEventType type, String eventId, byte[] body) implements Command {
    }

    /**
     * An event whose body the writer thread builds (so producers only queue a reference); null = no event.
     * {@code durable}, when given, runs on the writer thread once the event's deliveries are fsynced (at once when
     * no endpoint wants it): what a fact kept outside the room journals needs to move its cursor on.
     */
    record Deferred(java.util.function.Supplier<NewEvent> build, Runnable durable) implements Command {
        Deferred(java.util.function.Supplier<NewEvent> build) {
            this(build, null);
        }
    }

    record Finished(Delivery delivery, boolean delivered) implements Command {
    }

    /**
     * Adds an endpoint through the admin API: kept in {@code endpoints.json} (fsynced) before {@code done}
     * completes; events the outbox takes after it are delivered to it too.
     */
    record Register(WebhookEndpoint endpoint, java.util.concurrent.CompletableFuture<WebhookEndpoint> done)
            implements Command {
    }

    /** Removes an endpoint added through the admin API; its pending deliveries are dropped. */
    record Remove(String id, java.util.concurrent.CompletableFuture<WebhookEndpoint> done) implements Command {
    }

    /** Why a registration or removal was refused. */
    static final class Refused extends RuntimeException {
        enum Why { EXISTS, TOO_MANY, NOT_FOUND, FROM_FILE }

        final Why why;

        Refused(Why why, String message) {
            super(message, null, false, false);
            this.why = why;
        }
    }

    /** Told (on the writer thread) the endpoints in force after every change, in order. */
    interface EndpointsListener {
        void changed(List<WebhookEndpoint> endpoints, WebhookEndpoint added, WebhookEndpoint removed);
    }

    private final Path file;
    private final Path dir;
    private final Path registeredFile;
    /** Writer thread only (and the constructor): the file's endpoints, then the registered ones, in order. */
    private final List<WebhookEndpoint> endpoints;
    private volatile EndpointsListener endpointsListener = (all, added, removed) -> { };
    private final int maxPending;
    private final Clock clock;
    private final WebhookMetrics metrics;
    private final BlockingQueue<Command> queue;
    private final Thread writer;
    /** Writer thread only (and the constructor before it starts): the pending deliveries by key, in file order. */
    private final Map<String, String> pendingLines = new LinkedHashMap<>();
    /** Writer thread only. */
    private FileChannel channel;
    /** Writer thread only: lines in the file since the last rewrite. */
    private long linesInFile;
    private volatile boolean closing;
    private volatile Consumer<List<Delivery>> dispatcher = d -> { };

    /**
     * Opens (and recovers) the outbox in {@code dir}; start-up thread, blocking I/O.
     *
     * @return the pending deliveries found, in their original order, for the dispatcher
     */
    WebhookOutbox(Path dir, List<WebhookEndpoint> endpoints, int maxPending, Clock clock, WebhookMetrics metrics)
            throws IOException {
        this.dir = dir;
        this.file = dir.resolve("outbox.jsonl");
        this.registeredFile = dir.resolve("endpoints.json");
        this.maxPending = maxPending;
        this.clock = clock;
        this.metrics = metrics;
        this.queue = new ArrayBlockingQueue<>(Math.max(1024, Math.min(maxPending, 65_536)));
        OwnerOnly.createDirectories(dir); // the outbox holds event bodies: owner-only like the rest of the data dir
        this.endpoints = new ArrayList<>(endpoints);
        for (WebhookEndpoint registered : loadRegistered()) {
            if (endpoints.stream().anyMatch(e -> e.id().equals(registered.id()))) {
                LOG.warn("webhooks: the file now names '{}', which the admin API had registered; the file's wins",
                        registered.id());
            } else {
                this.endpoints.add(registered);
            }
        }
        recover();
        this.writer = new Thread(this::run, "webhook-outbox");
        this.writer.setDaemon(true);
    }

    /** The endpoints in force at start: the file's, then those registered through the admin API. */
    List<WebhookEndpoint> endpointsAtStart() {
        return List.copyOf(endpoints);
    }

    /** Starts the writer; {@code dispatch} gets every delivery once it is durable (first the recovered ones). */
    List<Delivery> start(Consumer<List<Delivery>> dispatch, EndpointsListener onEndpoints) {
        this.dispatcher = dispatch;
        this.endpointsListener = onEndpoints;
        List<Delivery> recovered = new ArrayList<>();
        for (String line : pendingLines.values()) {
            recovered.add(parseAdd(line));
        }
        writer.start();
        return recovered;
    }

    /** Any thread, never blocks: false (and a counted drop) when the queue is full or the outbox closed. */
    boolean offer(Command command) {
        if (closing || !queue.offer(command)) {
            if (command instanceof Register r) {
                r.done().completeExceptionally(new IllegalStateException("the webhook outbox is closing or full"));
            } else if (command instanceof Remove r) {
                r.done().completeExceptionally(new IllegalStateException("the webhook outbox is closing or full"));
            } else if (!(command instanceof Finished)) {
                metrics.eventDropped();
            }
            return false; // a lost Finished only means one more delivery after a restart
        }
        return true;
    }

    int queued() {
        return queue.size();
    }

    private void recover() throws IOException {
        if (Files.exists(file)) {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                JsonNode node;
                try {
                    node = ProtocolCodec.mapper().readTree(line);
                } catch (IOException e) {
                    if (i == lines.size() - 1) {
                        LOG.warn("webhook outbox: ignoring a torn last line (the process stopped mid-write)");
                        continue;
                    }
                    throw new IOException("webhook outbox " + file + " line " + (i + 1) + " is unreadable", e);
                }
                String key = node.path("endpoint").asText() + " " + node.path("event").asText();
                if (node.path("op").asText().equals("add")) {
                    pendingLines.put(key, line);
                } else {
                    pendingLines.remove(key);
                }
            }
        }
        pendingLines.values().removeIf(line -> {
            Delivery d = parseAdd(line);
            boolean gone = endpoints.stream().noneMatch(e -> e.id().equals(d.endpointId()));
            if (gone) {
                LOG.warn("webhook outbox: endpoint '{}' is no longer configured; dropping its delivery {}",
                        d.endpointId(), d.eventId());
            }
            return gone;
        });
        rewrite();
        if (!pendingLines.isEmpty()) {
            LOG.info("webhook outbox: {} deliveries pending from before the restart", pendingLines.size());
        }
    }

    /** Writes the pending lines to a new file, fsyncs, and moves it over the old one. */
    private void rewrite() throws IOException {
        if (channel != null) {
            channel.close();
        }
        Path tmp = dir.resolve("outbox.jsonl.tmp");
        Files.deleteIfExists(tmp);
        try (FileChannel out = FileChannel.open(tmp, java.util.Set.of(StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE), OwnerOnly.file())) {
            StringBuilder all = new StringBuilder();
            pendingLines.values().forEach(l -> all.append(l).append('\n'));
            writeFully(out, all.toString().getBytes(StandardCharsets.UTF_8));
            out.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        fsyncDirectory();
        channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        linesInFile = pendingLines.size();
    }

    private void run() {
        List<Command> batch = new ArrayList<>(BATCH);
        while (true) {
            Command first;
            try {
                first = queue.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                first = null;
                closing = true;
            }
            if (first == null) {
                if (closing && queue.isEmpty()) {
                    break;
                }
                continue;
            }
            batch.add(first);
            queue.drainTo(batch, BATCH - 1);
            writeBatch(batch);
            batch.clear();
        }
        try {
            channel.close();
        } catch (IOException e) {
            LOG.warn("webhook outbox: close failed: {}", e.toString());
        }
    }

    private void writeBatch(List<Command> batch) {
        StringBuilder lines = new StringBuilder();
        List<Delivery> added = new ArrayList<>();
        List<Runnable> answers = new ArrayList<>(); // registrations answered once this batch is durable
        List<Runnable> durable = new ArrayList<>();
        long now = clock.millis();
        for (Command command : batch) {
            Command c = command;
            if (c instanceof Deferred deferred) {
                if (deferred.durable() != null) {
                    durable.add(deferred.durable());
                }
                try {
                    c = deferred.build().get();
                } catch (RuntimeException e) {
                    LOG.warn("webhook outbox: an event could not be built: {}", e.toString());
                    c = null;
                }
            }
            if (c instanceof NewEvent e) {
                for (WebhookEndpoint ep : endpoints) {
                    if (!ep.wants(e.type())) {
                        continue;
                    }
                    if (pendingLines.size() >= maxPending) {
                        metrics.eventDropped();
                        LOG.warn("webhook outbox full ({} pending): event {} not queued for '{}'", maxPending,
                                e.eventId(), ep.id());
                        continue;
                    }
                    Delivery d = new Delivery(e.eventId(), ep.id(), now, e.body());
                    String line = addLine(d);
                    pendingLines.put(d.key(), line);
                    lines.append(line).append('\n');
                    added.add(d);
                }
            } else if (c instanceof Register r) {
                answers.add(register(r));
            } else if (c instanceof Remove r) {
                answers.add(remove(r, lines));
            } else if (c instanceof Finished f) {
                if (pendingLines.remove(f.delivery().key()) != null) {
                    ObjectNode done = ProtocolCodec.mapper().createObjectNode();
                    done.put("op", f.delivered() ? "done" : "dead");
                    done.put("endpoint", f.delivery().endpointId());
                    done.put("event", f.delivery().eventId());
                    lines.append(done).append('\n');
                }
            }
        }
        if (lines.length() > 0) {
            byte[] bytes = lines.toString().getBytes(StandardCharsets.UTF_8);
            durablyAppend(bytes);
            linesInFile += batch.size();
        }
        if (!added.isEmpty()) {
            dispatcher.accept(added);
        }
        answers.forEach(Runnable::run);
        for (Runnable r : durable) {
            try {
                r.run();
            } catch (RuntimeException e) {
                LOG.warn("webhook outbox: a fact's cursor could not be moved on: {}", e.toString());
            }
        }
        if (linesInFile > COMPACT_AFTER_LINES && linesInFile > 4L * pendingLines.size()) {
            try {
                rewrite();
            } catch (IOException e) {
                LOG.warn("webhook outbox: compaction failed, appending on: {}", e.toString());
            }
        }
    }

    /** Writer thread: adds a registered endpoint and keeps the list durably; returns how to answer. */
    private Runnable register(Register r) {
        WebhookEndpoint e = r.endpoint();
        if (endpoints.stream().anyMatch(x -> x.id().equals(e.id()))) {
            return () -> r.done().completeExceptionally(new Refused(Refused.Why.EXISTS,
                    "an endpoint with id '" + e.id() + "' exists; remove it first or choose another id"));
        }
        if (endpoints.size() >= WebhookEndpoint.MAX_ENDPOINTS) {
            return () -> r.done().completeExceptionally(new Refused(Refused.Why.TOO_MANY,
                    "at most " + WebhookEndpoint.MAX_ENDPOINTS + " webhook endpoints"));
        }
        List<WebhookEndpoint> next = new ArrayList<>(endpoints);
        next.add(e);
        Runnable failed = save(next, r.done());
        if (failed != null) {
            return failed;
        }
        endpoints.add(e);
        endpointsListener.changed(List.copyOf(endpoints), e, null);
        LOG.info("webhooks: endpoint registered through the admin API: {}", e); // never the secret
        return () -> r.done().complete(e);
    }

    /** Writer thread: removes a registered endpoint and drops its pending deliveries (lines marked dead). */
    private Runnable remove(Remove r, StringBuilder lines) {
        WebhookEndpoint e = endpoints.stream().filter(x -> x.id().equals(r.id())).findFirst().orElse(null);
        if (e == null) {
            return () -> r.done().completeExceptionally(new Refused(Refused.Why.NOT_FOUND,
                    "no webhook endpoint with id '" + r.id() + "'"));
        }
        if (e.fromFile()) {
            return () -> r.done().completeExceptionally(new Refused(Refused.Why.FROM_FILE, "endpoint '" + r.id()
                    + "' comes from the --webhooks file; remove it there and restart"));
        }
        List<WebhookEndpoint> next = new ArrayList<>(endpoints);
        next.remove(e);
        Runnable failed = save(next, r.done());
        if (failed != null) {
            return failed;
        }
        endpoints.remove(e);
        pendingLines.entrySet().removeIf(entry -> {
            Delivery d = parseAdd(entry.getValue());
            if (!d.endpointId().equals(e.id())) {
                return false;
            }
            ObjectNode dead = ProtocolCodec.mapper().createObjectNode();
            dead.put("op", "dead");
            dead.put("endpoint", d.endpointId());
            dead.put("event", d.eventId());
            lines.append(dead).append('\n');
            return true;
        });
        endpointsListener.changed(List.copyOf(endpoints), null, e);
        LOG.info("webhooks: endpoint removed through the admin API: {}", e);
        return () -> r.done().complete(e);
    }

    /** Keeps {@code next} as the registered endpoints; null when written, else how to answer the failure. */
    private Runnable save(List<WebhookEndpoint> next, java.util.concurrent.CompletableFuture<WebhookEndpoint> done) {
        try {
            saveRegistered(next);
            return null;
        } catch (IOException e) {
            metrics.outboxWriteFailed();
            return () -> done.completeExceptionally(e);
        }
    }

    /** The endpoints registered through the admin API, from {@code endpoints.json} (start-up). */
    private List<WebhookEndpoint> loadRegistered() throws IOException {
        if (!Files.exists(registeredFile)) {
            return List.of();
        }
        JsonNode root = ProtocolCodec.mapper().readTree(Files.readAllBytes(registeredFile));
        List<WebhookEndpoint> out = new ArrayList<>();
        for (JsonNode e : root.path("endpoints")) {
            try {
                out.add(WebhookEndpoint.fromJson(e, false));
            } catch (WebhookEndpoint.InvalidField bad) {
                throw new IOException("webhook endpoints " + registeredFile + ", endpoint '" + e.path("id").asText()
                        + "': " + bad.getMessage());
            }
        }
        return out;
    }

    /** Writes the registered endpoints (with their secrets: the file is owner-only) atomically and durably. */
    private void saveRegistered(List<WebhookEndpoint> all) throws IOException {
        ObjectNode root = ProtocolCodec.mapper().createObjectNode();
        com.fasterxml.jackson.databind.node.ArrayNode list = root.putArray("endpoints");
        for (WebhookEndpoint e : all) {
            if (e.fromFile()) {
                continue;
            }
            ObjectNode n = list.addObject();
            n.put("id", e.id());
            n.put("url", e.url().toString());
            n.put("secret", e.secret());
            e.eventNames().forEach(n.putArray("events")::add);
        }
        AtomicFiles.write(registeredFile, ProtocolCodec.mapper().writeValueAsBytes(root));
    }

    private void fsyncDirectory() {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true); // a rename is durable only once its directory is
        } catch (IOException e) {
            LOG.debug("cannot fsync the webhooks directory: {}", e.toString());
        }
    }

    /** Writes and fsyncs; on a disk error retries every second (nothing is dispatched meanwhile). */
    private void durablyAppend(byte[] bytes) {
        long position = -1;
        while (true) {
            try {
                if (position >= 0) {
                    channel.truncate(position); // drop a half-written attempt before writing it again
                } else {
                    position = channel.size();
                }
                writeFully(channel, bytes);
                channel.force(false);
                return;
            } catch (IOException e) {
                metrics.outboxWriteFailed();
                LOG.warn("webhook outbox: write failed, retrying in 1 s: {}", e.toString());
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private static void writeFully(FileChannel ch, byte[] bytes) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    private static String addLine(Delivery d) {
        ObjectNode add = ProtocolCodec.mapper().createObjectNode();
        add.put("op", "add");
        add.put("endpoint", d.endpointId());
        add.put("event", d.eventId());
        add.put("createdAtMs", d.createdAtMs());
        add.put("body", Base64.getEncoder().encodeToString(d.body()));
        return add.toString();
    }

    private static Delivery parseAdd(String line) {
        try {
            JsonNode n = ProtocolCodec.mapper().readTree(line);
            return new Delivery(n.path("event").asText(), n.path("endpoint").asText(), n.path("createdAtMs").asLong(),
                    Base64.getDecoder().decode(n.path("body").asText()));
        } catch (IOException e) {
            throw new IllegalStateException("unreadable outbox line", e);
        }
    }

    /** Stops taking commands, writes what is queued, fsyncs and closes the file (bounded wait). */
    @Override
    public void close() {
        closing = true;
        try {
            writer.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
