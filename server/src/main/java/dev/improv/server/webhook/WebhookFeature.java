package dev.improv.server.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.improv.server.config.ServerConfig;
import dev.improv.server.app.Feature;
import dev.improv.server.http.ApiDoc;
import dev.improv.server.http.ApiError;
import dev.improv.server.http.Route;
import io.netty.handler.codec.http.HttpResponseStatus;
import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.room.SessionJournal;
import dev.improv.server.room.SessionMeta;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signed webhooks as a server feature, always on (with no endpoint it queues nothing): the rooms' journal is
 * wrapped so that room
 * started / ended, participant joined / left, scene started / ended and consent recorded become events; each is
 * written to the durable outbox and delivered to every endpoint that wants it, at least once, signed, retried.
 * Nothing here runs on an event loop or a room thread beyond a non-blocking queue offer.
 *
 * <p>The body of a delivery: {@code {"id", "type", "timestamp" (ISO-8601, server time of the fact), "data"}};
 * {@code data} holds {@code room} and {@code session}, and for room events the {@code event} exactly as members
 * received it (see docs/protocol.md). Ids are derived from the session and the event's {@code seq}, so a receiver
 * can drop duplicates by {@code webhook-id}.
 */
public final class WebhookFeature implements Feature, WebhookJournal.Sink {
    private static final Logger LOG = LoggerFactory.getLogger(WebhookFeature.class);

    private final WebhookOutbox outbox;
    private final WebhookDispatcher dispatcher;
    /** Start-up thread until {@link #catchUp}, then the outbox's writer thread only. */
    private final WebhookFeeds feeds;
    /**
     * The kinds some endpoint wants, published by the outbox's writer after every change: with none, the rooms'
     * events are not even queued (the feature is always on, so most servers pay nothing for it).
     */
    private volatile Set<WebhookEventType> wanted;

    /**
     * Reads the endpoints file (if any) and the endpoints registered through the admin API, recovers the outbox and
     * starts delivering (start-up thread, blocking I/O).
     *
     * @throws IllegalArgumentException when the endpoints file or the outbox cannot be used, with the reason
     */
    public WebhookFeature(ServerConfig config, ServerMetrics metrics) {
        ServerConfig.WebhookSettings s = config.webhooks();
        WebhookMetrics meters = new WebhookMetrics(metrics.registry());
        Clock clock = Clock.systemUTC();
        try {
            List<WebhookEndpoint> fromFile = s.file() == null ? List.of() : WebhookEndpoint.load(s.file());
            this.outbox = new WebhookOutbox(config.dataDir().resolve("webhooks"), fromFile, s.maxPending(), clock,
                    meters);
            this.feeds = new WebhookFeeds(config.dataDir().resolve("webhooks"));
        } catch (IOException e) {
            throw new IllegalArgumentException("webhooks: " + e.getMessage(), e);
        }
        List<WebhookEndpoint> endpoints = outbox.endpointsAtStart();
        this.wanted = kinds(endpoints);
        this.dispatcher = new WebhookDispatcher(endpoints, new WebhookDispatcher.Retry(s.retryBaseMs(),
                s.retryMaxMs(), s.maxAttempts(), s.timeoutMs()), clock, meters, outbox::offer);
        dispatcher.submit(outbox.start(dispatcher::submit, (all, added, removed) -> {
            wanted = kinds(all);
            dispatcher.endpointsChanged(added, removed);
        }));
        if (!endpoints.isEmpty()) {
            LOG.info("webhooks to {}", endpoints); // ids, URLs and kinds; never the secrets
        }
    }

    private static Set<WebhookEventType> kinds(List<WebhookEndpoint> endpoints) {
        Set<WebhookEventType> out = EnumSet.noneOf(WebhookEventType.class);
        endpoints.forEach(e -> out.addAll(e.events()));
        return Set.copyOf(out);
    }

    /**
     * The lobby pools' journal: {@code inner} (the log, or none) with {@code lobby.matched} on the side, sent when
     * a room is made from a confirmed match. Called on the lobby thread: one non-blocking queue offer.
     */
    public dev.improv.server.match.LobbyJournal lobbyJournal(dev.improv.server.match.LobbyJournal inner,
                                                              dev.improv.server.room.MicrosClock clock) {
        return new dev.improv.server.match.LobbyJournal() {
            @Override
            public void record(String pool, dev.improv.server.match.LobbyFact fact) {
                inner.record(pool, fact);
                matched(pool, fact, clock);
            }

            @Override
            public void record(String pool, dev.improv.server.match.LobbyFact fact, Runnable onDurable) {
                inner.record(pool, fact, onDurable);
                matched(pool, fact, clock);
            }
        };
    }

    /** Sends {@code lobby.matched} when {@code fact} made a room from a confirmed match and someone wants it. */
    private void matched(String pool, dev.improv.server.match.LobbyFact fact, dev.improv.server.room.MicrosClock clock) {
        if (!(fact instanceof dev.improv.server.match.LobbyFact.RoomOpened opened)
                || !wanted.contains(WebhookEventType.LOBBY_MATCHED)) {
            return;
        }
        long at = clock.nowMicros();
        outbox.offer(new WebhookOutbox.Deferred(() -> {
            ObjectNode data = ProtocolCodec.mapper().createObjectNode();
            data.put("pool", pool);
            data.put("room", opened.roomId());
            data.put("offer", opened.offerId());
            opened.pids().forEach(data.putArray("performers")::add);
            data.put("moderator", opened.moderatorId());
            return event(WebhookEventType.LOBBY_MATCHED, "evt_lobby_" + pool + "_" + opened.offerId(), at, data);
        }));
    }

    /** A consent withdrawal as {@code consent.withdrawn} reports it (never its free-text reason). */
    public record Withdrawn(long number, String participant, List<String> scopes, long atMs, String via) {
    }

    /** A dataset export that ended ({@code state} {@code done} or {@code failed}), as {@code export.finished}. */
    public record ExportDone(String name, String job, String state, Integer samples, Integer shards, Long bytes,
                             String manifestSha256, String error) {
    }

    /**
     * {@code consent.withdrawn}: call once the withdrawal is forced to the consent log; the answer completes once
     * the event is durable in the outbox (answer the performer then). A crash in between is caught up at the next
     * start ({@link #catchUp}). Never blocks.
     */
    public java.util.concurrent.CompletableFuture<Void> consentWithdrawn(Withdrawn w) {
        java.util.concurrent.CompletableFuture<Void> durable = new java.util.concurrent.CompletableFuture<>();
        boolean queued = outbox.offer(new WebhookOutbox.Deferred(() -> {
            ObjectNode data = ProtocolCodec.mapper().createObjectNode();
            data.put("number", w.number());
            data.put("participant", w.participant());
            w.scopes().forEach(data.putArray("scopes")::add);
            data.put("via", w.via());
            return event(WebhookEventType.CONSENT_WITHDRAWN, "evt_withdrawal_" + w.number(), w.atMs() * 1000, data);
        }, () -> {
            feeds.withdrawalQueued(w.number());
            durable.complete(null);
        }));
        if (!queued) {
            durable.complete(null); // the withdrawal itself is kept; the next start queues its event (catchUp)
        }
        return durable;
    }

    /** {@code export.finished}: call when an export job ends (its thread). Never blocks. */
    public void exportFinished(ExportDone e, long atMs) {
        outbox.offer(new WebhookOutbox.Deferred(() -> {
            ObjectNode data = ProtocolCodec.mapper().valueToTree(e);
            return event(WebhookEventType.EXPORT_FINISHED, "evt_export_" + e.name(), atMs * 1000, data);
        }, () -> {
            if ("done".equals(e.state())) {
                feeds.exportQueued(e.name());
            }
        }));
    }

    /**
     * Start-up, before the listeners open: queues the facts a crash kept from the outbox — withdrawals past the
     * cursor, and finished exports on disk ({@code exportsOnDisk}) that were never announced. On the first start in
     * a data dir, what is there is taken as already announced.
     */
    public void catchUp(List<Withdrawn> withdrawals, List<ExportDone> exportsOnDisk) {
        if (!feeds.existed()) {
            withdrawals.forEach(w -> feeds.withdrawalQueued(w.number()));
            exportsOnDisk.forEach(e -> feeds.exportQueued(e.name()));
            feeds.save();
            return;
        }
        long cursor = feeds.withdrawals(); // read before anything is queued: the writer moves it on
        List<Withdrawn> lateWithdrawals = withdrawals.stream().filter(w -> w.number() > cursor).toList();
        List<ExportDone> lateExports = exportsOnDisk.stream().filter(e -> !feeds.announced(e.name())).toList();
        lateWithdrawals.forEach(this::consentWithdrawn);
        lateExports.forEach(e -> exportFinished(e, System.currentTimeMillis()));
        int queued = lateWithdrawals.size() + lateExports.size();
        if (queued > 0) {
            LOG.info("webhooks: {} withdrawals and exports from before a crash queued again", queued);
        }
    }

    /** The rooms' journal: {@code inner} (the session log, or none) with webhooks on the side. */
    public SessionJournal journal(SessionJournal inner) {
        return new WebhookJournal(inner, this);
    }

    /**
     * {@code GET /api/webhooks}: the endpoints with their delivery backlog; {@code POST /api/webhooks} registers
     * one, {@code DELETE /api/webhooks/{id}} removes one that was registered so (the file's stay until the file
     * changes). Registration answers once the endpoint is durable (written by the outbox's thread, never here).
     */
    @Override
    public List<Route> routes() {
        return List.of(Route.get("/api/webhooks", Route.Access.ADMIN, ex -> ex.json(HttpResponseStatus.OK,
                        new Endpoints(dispatcher.states())))
                .documented(ApiDoc.of("The webhook endpoints and their delivery backlog (never the secrets)")
                        .describe("Endpoints come from the file of `--webhooks` (source `file`) and from "
                                + "`POST /api/webhooks` (source `api`); docs/integration.md. The counters are in "
                                + "/metrics as improv_webhook_*.")
                        .answers(200, "per endpoint: URL, event kinds, source, pending and retrying deliveries, age "
                                + "of the oldest pending one", Endpoints.class)),
                Route.post("/api/webhooks", Route.Access.ADMIN, this::register)
                        .documented(ApiDoc.of("Register a webhook endpoint")
                                .describe("Events the server makes after the answer are delivered to it, signed with "
                                        + "its secret. Without a `secret` the server makes one and answers it once "
                                        + "(it is never shown again). Kept in the data directory across restarts. "
                                        + "At most " + WebhookEndpoint.MAX_ENDPOINTS + " endpoints in all.")
                                .body(Registration.class, "id", "url", "events")
                                .answers(201, "registered; `secret` only when the server made it", Registered.class)
                                .fails(409, "an endpoint with this id exists (`WEBHOOK_EXISTS`), or there are "
                                        + WebhookEndpoint.MAX_ENDPOINTS + " already (`TOO_MANY_WEBHOOKS`)")),
                Route.delete("/api/webhooks/{id}", Route.Access.ADMIN, this::remove)
                        .documented(ApiDoc.of("Remove a webhook endpoint registered through the API")
                                .describe("Its pending deliveries are dropped. Endpoints of the `--webhooks` file "
                                        + "are removed by editing the file and restarting.")
                                .answers(200, "removed", Removed.class)
                                .fails(404, "no endpoint with this id (`WEBHOOK_NOT_FOUND`)")
                                .fails(409, "the endpoint comes from the `--webhooks` file (`WEBHOOK_FROM_FILE`)")));
    }

    /** The answer of {@code GET /api/webhooks}. */
    public record Endpoints(List<WebhookDispatcher.EndpointState> endpoints) {
    }

    /**
     * The body of {@code POST /api/webhooks}.
     *
     * @param events event kinds ({@code room.started}, …) or {@code ["*"]} for all
     * @param secret {@code whsec_} and the base64 of 24-64 random bytes; null: the server makes one
     */
    public record Registration(String id, String url, List<String> events, String secret) {
    }

    /** The answer of {@code POST /api/webhooks}. */
    public record Registered(String id, String url, List<String> events,
                             @com.fasterxml.jackson.annotation.JsonInclude(
                                     com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL) String secret) {
    }

    /** The answer of {@code DELETE /api/webhooks/{id}}. */
    public record Removed(String removed) {
    }

    private void register(dev.improv.server.http.HttpExchange ex) {
        Registration r = ex.body(Registration.class);
        boolean made = r.secret() == null;
        String secret = made ? WebhookEndpoint.newSecret() : r.secret();
        WebhookEndpoint endpoint;
        try {
            endpoint = WebhookEndpoint.of(r.id(), r.url(), r.events(), secret, false);
        } catch (WebhookEndpoint.InvalidField bad) {
            throw ApiError.invalid(bad.field(), bad.getMessage());
        }
        java.util.concurrent.CompletableFuture<WebhookEndpoint> done = new java.util.concurrent.CompletableFuture<>();
        outbox.offer(new WebhookOutbox.Register(endpoint, done));
        ex.reply(done.exceptionallyCompose(WebhookFeature::refusal), e -> ex.json(HttpResponseStatus.CREATED,
                new Registered(e.id(), e.url().toString(), e.eventNames(), made ? secret : null)));
    }

    private void remove(dev.improv.server.http.HttpExchange ex) {
        java.util.concurrent.CompletableFuture<WebhookEndpoint> done = new java.util.concurrent.CompletableFuture<>();
        outbox.offer(new WebhookOutbox.Remove(ex.param("id"), done));
        ex.reply(done.exceptionallyCompose(WebhookFeature::refusal),
                e -> ex.json(HttpResponseStatus.OK, new Removed(e.id())));
    }

    /** The outbox's refusals as API errors (anything else stays a failure: a 500, logged). */
    private static java.util.concurrent.CompletionStage<WebhookEndpoint> refusal(Throwable failure) {
        Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        if (!(cause instanceof WebhookOutbox.Refused refused)) {
            return java.util.concurrent.CompletableFuture.failedFuture(cause);
        }
        ApiError.Failure answer = switch (refused.why) {
            case EXISTS -> new ApiError.Failure(HttpResponseStatus.CONFLICT,
                    new ApiError("WEBHOOK_EXISTS", "id", refused.getMessage()));
            case TOO_MANY -> new ApiError.Failure(HttpResponseStatus.CONFLICT,
                    new ApiError("TOO_MANY_WEBHOOKS", null, refused.getMessage()));
            case NOT_FOUND -> new ApiError.Failure(HttpResponseStatus.NOT_FOUND,
                    new ApiError("WEBHOOK_NOT_FOUND", "id", refused.getMessage()));
            case FROM_FILE -> new ApiError.Failure(HttpResponseStatus.CONFLICT,
                    new ApiError("WEBHOOK_FROM_FILE", "id", refused.getMessage()));
        };
        return java.util.concurrent.CompletableFuture.failedFuture(answer);
    }

    @Override
    public void roomStarted(SessionMeta meta) {
        if (!wanted.contains(WebhookEventType.ROOM_STARTED)) {
            return;
        }
        outbox.offer(new WebhookOutbox.Deferred(() -> {
            ObjectNode data = data(meta.roomId(), meta.sessionId());
            data.put("name", meta.roomName());
            return event(WebhookEventType.ROOM_STARTED, "evt_" + meta.sessionId() + "_start", meta.startedAt(), data);
        }));
    }

    @Override
    public void roomEvent(String roomId, String sessionId, long seq, byte[] eventJson) {
        if (wanted.isEmpty()) {
            return; // the kind is known only once the event is parsed, on the outbox's thread
        }
        outbox.offer(new WebhookOutbox.Deferred(() -> {
            JsonNode event;
            try {
                event = ProtocolCodec.mapper().readTree(eventJson);
            } catch (IOException e) {
                throw new IllegalStateException("unreadable room event", e);
            }
            WebhookEventType type = WebhookEventType.ofRoomEvent(event.path("type").asText());
            if (type == null || !wanted.contains(type)) {
                return null;
            }
            ObjectNode data = data(roomId, sessionId);
            data.set("event", event);
            return event(type, "evt_" + sessionId + "_" + seq, event.path("ts").asLong(), data);
        }));
    }

    @Override
    public void roomEnded(SessionMeta finalMeta) {
        if (!wanted.contains(WebhookEventType.ROOM_ENDED)) {
            return;
        }
        outbox.offer(new WebhookOutbox.Deferred(() -> {
            ObjectNode data = data(finalMeta.roomId(), finalMeta.sessionId());
            data.put("participants", finalMeta.participants().size());
            data.put("scenes", finalMeta.scenes().size());
            long ended = finalMeta.endedAt() != null ? finalMeta.endedAt() : System.currentTimeMillis() * 1000;
            return event(WebhookEventType.ROOM_ENDED, "evt_" + finalMeta.sessionId() + "_end", ended, data);
        }));
    }

    private static ObjectNode data(String roomId, String sessionId) {
        ObjectNode data = ProtocolCodec.mapper().createObjectNode();
        data.put("room", roomId);
        data.put("session", sessionId);
        return data;
    }

    private static WebhookOutbox.NewEvent event(WebhookEventType type, String id, long tsMicros, ObjectNode data) {
        ObjectNode body = ProtocolCodec.mapper().createObjectNode();
        body.put("id", id);
        body.put("type", type.wireName());
        body.put("timestamp", Instant.ofEpochSecond(tsMicros / 1_000_000, (tsMicros % 1_000_000) * 1000).toString());
        body.set("data", data);
        try {
            return new WebhookOutbox.NewEvent(type, id, ProtocolCodec.mapper().writeValueAsBytes(body));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** After the rooms closed: their last events are written to the outbox, then delivery stops. */
    @Override
    public void close() {
        outbox.close();
        dispatcher.close();
    }
}
