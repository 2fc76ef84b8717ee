package dev.improv.server.app;

import dev.improv.server.auth.TokenService;
import dev.improv.server.config.ServerConfig;
import dev.improv.server.http.Route;
import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.room.RoomRegistry;
import dev.improv.server.room.SessionJournal;
import dev.improv.server.take.TakeJournal;
import dev.improv.server.take.Takes;
import dev.improv.server.take.http.TakeRoutes;
import java.util.List;

/**
 * Local takes as a feature: the takes thread and its files, the journal wrapper that tells it about scenes, and
 * the chunk upload, status and stage consent routes (docs/recording.md).
 */
final class TakeFeature implements Feature {
    private final Takes takes;
    private List<Route> routes = List.of();

    TakeFeature(ServerConfig config, ServerMetrics metrics) {
        this.takes = new Takes(config.takes(), config.dataDir(), metrics.registry());
    }

    /** The rooms' journal with scene events also going to the takes. */
    SessionJournal journal(SessionJournal inner) {
        return new TakeJournal(inner, takes);
    }

    /** Once the rooms exist (restored from the log, when there is one). */
    void start(RoomRegistry rooms, TokenService tokens) {
        takes.start(rooms);
        routes = new TakeRoutes(tokens, takes).routes();
    }

    /** Where {@code POST /api/rooms} puts a room's own consent text. */
    dev.improv.server.http.RoomRoutes.RoomConsent roomConsent() {
        return (roomId, version, text) -> takes.setTerms(roomId, new dev.improv.server.take.ConsentTerms(version,
                text));
    }

    @Override
    public List<Route> routes() {
        return routes;
    }

    @Override
    public void close() {
        takes.close();
    }
}
