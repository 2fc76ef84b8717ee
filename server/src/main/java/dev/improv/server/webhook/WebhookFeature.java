package dev.improv.server.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.improv.server.config.ServerConfig;
import dev.improv.server.app.Feature;
import dev.improv.server.http.ApiDoc;
import dev.improv.server.http.Route;
import io.netty.handler.codec.http.HttpResponseStatus;
import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.room.SessionJournal;
import dev.improv.server.room.SessionMeta;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signed webhooks as a server feature: the rooms' journal is wrapped so that room
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

    /**
     * Reads the endpoints file, recovers the outbox and starts delivering (start-up thread, blocking I/O).
     *
     * @throws IllegalArgumentException when the endpoints file or the outbox cannot be used, with the reason
     */
    public WebhookFeature(ServerConfig config, ServerMetrics metrics) {
        ServerConfig.WebhookSettings s = config.webhooks();
        List<WebhookEndpoint> endpoints;
        WebhookMetrics meters = new WebhookMetrics(metrics.registry());
        Clock clock = Clock.systemUTC();
        try {
            endpoints = WebhookEndpoint.load(s.file());
            this.outbox = new WebhookOutbox(config.dataDir().resolve("webhooks"), endpoints, s.maxPending(), clock,
                    meters);
        } catch (IOException e) {
            throw new IllegalArgumentException("webhooks: " + e.getMessage(), e);
        }
        this.dispatcher = new WebhookDispatcher(endpoints, new WebhookDispatcher.Retry(s.retryBaseMs(),
                s.retryMaxMs(), s.maxAttempts(), s.timeoutMs()), clock, meters, outbox::offer);
        dispatcher.submit(outbox.start(dispatcher::submit));
        LOG.info("webhooks to {}", endpoints); // ids, URLs and kinds; never the secrets
    }

    /** The rooms' journal: {@code inner} (the session log, or none) with webhooks on the side. */
    public SessionJournal journal(SessionJournal inner) {
        return new WebhookJournal(inner, this);
    }

    /** {@code GET /api/webhooks}: the endpoints with their delivery backlog (endpoints come from the file). */
    @Override
    public List<Route> routes() {
        return List.of(Route.get("/api/webhooks", Route.Access.ADMIN, ex -> ex.json(HttpResponseStatus.OK,
                        new Endpoints(dispatcher.states())))
                .documented(ApiDoc.of("The webhook endpoints and their delivery backlog (never the secrets)")
                        .describe("Endpoints are configured in the file of `--webhooks` (docs/integration.md); "
                                + "the counters are in /metrics as improv_webhook_*.")
                        .answers(200, "per endpoint: URL, event kinds, pending and retrying deliveries, age of the "
                                + "oldest pending one", Endpoints.class)));
    }

    /** The answer of {@code GET /api/webhooks}. */
    public record Endpoints(List<WebhookDispatcher.EndpointState> endpoints) {
    }

    @Override
    public void roomStarted(SessionMeta meta) {
        outbox.offer(new WebhookOutbox.Deferred(() -> {
            ObjectNode data = data(meta.roomId(), meta.sessionId());
            data.put("name", meta.roomName());
            return event(WebhookEventType.ROOM_STARTED, "evt_" + meta.sessionId() + "_start", meta.startedAt(), data);
        }));
    }

    @Override
    public void roomEvent(String roomId, String sessionId, long seq, byte[] eventJson) {
        outbox.offer(new WebhookOutbox.Deferred(() -> {
            JsonNode event;
            try {
                event = ProtocolCodec.mapper().readTree(eventJson);
            } catch (IOException e) {
                throw new IllegalStateException("unreadable room event", e);
            }
            WebhookEventType type = WebhookEventType.ofRoomEvent(event.path("type").asText());
            if (type == null) {
                return null;
            }
            ObjectNode data = data(roomId, sessionId);
            data.set("event", event);
            return event(type, "evt_" + sessionId + "_" + seq, event.path("ts").asLong(), data);
        }));
    }

    @Override
    public void roomEnded(SessionMeta finalMeta) {
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
