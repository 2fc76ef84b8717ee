package dev.improv.server.app;

import dev.improv.server.auth.JoinLinks;
import dev.improv.server.config.ServerConfig;
import dev.improv.server.http.Route;
import dev.improv.server.http.RoomRoutes;
import dev.improv.server.match.LobbyHub;
import dev.improv.server.media.ConsentPolicy;
import dev.improv.server.media.InProcessMediaRecording;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * In-process media recording as a feature: rooms created with {@code recordMedia} get a recorder peer that joins
 * over loopback like any client. No routes of its own; the room routes start it through {@link #starter()}.
 */
final class MediaFeature implements Feature {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(MediaFeature.class);
    private final InProcessMediaRecording media;
    private final Supplier<String> loopbackBase;

    /**
     * @param lobbyConsent whose lobby consent is in a room's log
     * @param loopbackBase where the recorder reaches this server (known once the main listener is bound)
     */
    MediaFeature(ServerConfig config, ConsentPolicy lobbyConsent, Supplier<String> loopbackBase) {
        ServerConfig.MediaSettings m = config.media();
        this.media = new InProcessMediaRecording(config.dataDir(), m.maxRooms(),
                InProcessMediaRecording.ConsentSource.valueOf(m.consentFrom().toUpperCase(Locale.ROOT)), m.videoFps(),
                lobbyConsent);
        this.loopbackBase = loopbackBase;
    }

    RoomRoutes.RecorderStart starter() {
        return token -> media.record(loopbackBase.get(), token);
    }

    /** The recorder for rooms that pools with {@code recordMedia} open: the same peer, with a link of its own. */
    LobbyHub.MediaRecording lobbyRooms(JoinLinks links) {
        RoomRoutes.RecorderStart start = starter();
        return roomId -> start.start(links.forMediaRecorder(roomId, RoomRoutes.MEDIA_RECORDER_NAME, 0).token())
                .whenComplete((ok, failure) -> {
                    if (failure != null) {
                        LOG.warn("room {} (from a pool with recordMedia): the media recorder did not start", roomId,
                                failure);
                    }
                });
    }

    @Override
    public List<Route> routes() {
        return List.of();
    }

    @Override
    public void close() {
        media.close();
    }
}
