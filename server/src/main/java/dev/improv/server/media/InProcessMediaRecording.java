package dev.improv.server.media;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Media recording inside the server process: rooms created with {@code recordMedia} get a recorder peer that
 * joins over loopback like any client, so a crash of the media side never touches the room. The WebRTC engine
 * (native, slow to start) is created on first use and on a thread of its own, never on an I/O thread.
 */
public final class InProcessMediaRecording implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(InProcessMediaRecording.class);

    /** Who may be recorded: performers whose lobby consent is in the room's log, or everyone. */
    public enum ConsentSource { LOBBY, EVERYONE }

    private final Path dataDir;
    private final int maxRooms;
    private final ConsentPolicy consent;
    private final double videoFps;
    private final ExecutorService starter = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "media-recorder-start");
        t.setDaemon(true);
        return t;
    });
    /** Created and used on the starter thread only. */
    private MediaRecorder recorder;

    /**
     * @param lobbyConsent whose lobby consent is in a room's log (the composition root asks the rooms); used when
     *                     {@code source} is {@link ConsentSource#LOBBY}
     */
    public InProcessMediaRecording(Path dataDir, int maxRooms, ConsentSource source, double videoFps,
                                   ConsentPolicy lobbyConsent) {
        this.videoFps = videoFps;
        this.dataDir = dataDir;
        this.maxRooms = maxRooms;
        this.consent = source == ConsentSource.EVERYONE ? ConsentPolicy.everyone() : lobbyConsent;
    }

    /**
     * Starts recording a room with a recorder token, on the starter thread. The future fails with a message for
     * the operator when the room limit is reached or the WebRTC engine cannot start.
     */
    public CompletableFuture<Void> record(String serverBase, String recorderToken) {
        return CompletableFuture.runAsync(() -> {
            try {
                if (recorder == null) {
                    recorder = new MediaRecorder(dataDir, maxRooms, consent, videoFps);
                }
                recorder.record(serverBase, recorderToken);
            } catch (RecorderLimitException e) {
                LOG.warn("media recording refused: {}", e.getMessage());
                throw e;
            } catch (RuntimeException | LinkageError e) {
                LOG.error("media recording could not start (is libpulse0 installed?)", e);
                throw new IllegalStateException("the media recorder could not start: " + e, e);
            }
        }, starter);
    }

    @Override
    public void close() {
        starter.execute(() -> {
            if (recorder != null) {
                recorder.close();
            }
        });
        starter.shutdown();
    }
}
