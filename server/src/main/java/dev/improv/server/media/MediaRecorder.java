package dev.improv.server.media;

import dev.onvoid.webrtc.PeerConnectionFactory;
import dev.onvoid.webrtc.RTCConfiguration;
import dev.onvoid.webrtc.media.audio.HeadlessAudioDeviceModule;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The in-process entry point: one WebRTC factory for the process and up to {@code maxRooms} room recorders.
 * A server process that wants to record calls {@link #record} with a recorder token of the room; a separate
 * process does the same through {@link RecorderMain}. Thread-safe.
 *
 * <p>The factory uses libwebrtc's headless audio device: there is no sound card on a server, and the default
 * device module aborts the JVM when it finds none. Its virtual speaker pulls every received stream at about
 * real-time pace, which is what delivers the decoded audio to our sinks; it pulls 0.5-2.3 % slow (relative
 * sleeps), which {@link DriftCorrector} takes out of the files.
 */
public final class MediaRecorder implements AutoCloseable {
    /** JPEG encoding costs ~5-15 ms per 640×480 frame on one core: more than this is a video encoder's job. */
    public static final double MAX_VIDEO_FPS = 30;
    private final Path dataDir;
    private final int maxRooms;
    private final ConsentPolicy consent;
    private final double videoFps;
    private final HeadlessAudioDeviceModule audioDevice = new HeadlessAudioDeviceModule();
    private final PeerConnectionFactory factory = new PeerConnectionFactory(audioDevice);
    private final RTCConfiguration rtcConfig = new RTCConfiguration();
    /** Guarded by {@code this} for the count check; the map itself is read from any thread. */
    private final Map<MediaRecorderPeer, Boolean> active = new ConcurrentHashMap<>();
    private boolean closed;

    /** Audio only (video answered inactive). */
    public MediaRecorder(Path dataDir, int maxRooms, ConsentPolicy consent) {
        this(dataDir, maxRooms, consent, 0);
    }

    /**
     * @param videoFps images stored per second of each performer's video; 0 = video not recorded (answered
     *                 inactive); at most {@link #MAX_VIDEO_FPS}
     */
    public MediaRecorder(Path dataDir, int maxRooms, ConsentPolicy consent, double videoFps) {
        if (maxRooms < 1) {
            throw new IllegalArgumentException("maxRooms must be at least 1");
        }
        if (!(videoFps >= 0 && videoFps <= MAX_VIDEO_FPS)) {
            throw new IllegalArgumentException("videoFps must be between 0 (off) and " + MAX_VIDEO_FPS);
        }
        this.videoFps = videoFps;
        this.dataDir = dataDir;
        this.maxRooms = maxRooms;
        this.consent = consent;
    }

    /**
     * Starts recording the room of {@code token} on the server at {@code serverBase} ({@code ws://host:port}).
     *
     * @throws RecorderLimitException when {@code maxRooms} rooms are already being recorded
     */
    public synchronized MediaRecorderPeer record(String serverBase, String token) {
        if (closed) {
            throw new IllegalStateException("the media recorder is closed");
        }
        if (active.size() >= maxRooms) {
            throw new RecorderLimitException(maxRooms);
        }
        String roomId = roomOf(token);
        URI url = URI.create(serverBase.replaceAll("/+$", "") + "/ws/rooms/" + roomId + "?token=" + token);
        MediaRecorderPeer[] self = new MediaRecorderPeer[1];
        MediaRecorderPeer peer = new MediaRecorderPeer(url, roomId, dataDir, factory, rtcConfig, consent, videoFps,
                () -> {
                    if (self[0] != null) {
                        active.remove(self[0]);
                    }
                });
        self[0] = peer;
        active.put(peer, Boolean.TRUE);
        if (peer.finished().isDone()) {
            active.remove(peer);
        }
        return peer;
    }

    public double videoFps() {
        return videoFps;
    }

    public int activeRooms() {
        return active.size();
    }

    /** The room a recorder token names (read, not verified: the server verifies it when the recorder joins). */
    static String roomOf(String token) {
        return dev.improv.server.auth.TokenService.unverifiedRoom(token);
    }

    @Override
    public void close() {
        List<MediaRecorderPeer> peers;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            peers = List.copyOf(active.keySet());
        }
        peers.forEach(MediaRecorderPeer::close);
        factory.dispose();
        audioDevice.dispose();
    }
}
