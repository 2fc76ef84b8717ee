package dev.improv.server.media;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.improv.server.protocol.ProtocolCodec;
import dev.onvoid.webrtc.CreateSessionDescriptionObserver;
import dev.onvoid.webrtc.PeerConnectionFactory;
import dev.onvoid.webrtc.PeerConnectionObserver;
import dev.onvoid.webrtc.RTCConfiguration;
import dev.onvoid.webrtc.RTCIceCandidate;
import dev.onvoid.webrtc.RTCOfferOptions;
import dev.onvoid.webrtc.RTCPeerConnection;
import dev.onvoid.webrtc.RTCPeerConnectionState;
import dev.onvoid.webrtc.RTCSdpType;
import dev.onvoid.webrtc.RTCSessionDescription;
import dev.onvoid.webrtc.SetSessionDescriptionObserver;
import dev.onvoid.webrtc.media.audio.AudioOptions;
import dev.onvoid.webrtc.media.audio.AudioTrack;
import dev.onvoid.webrtc.media.audio.CustomAudioSource;
import dev.onvoid.webrtc.media.video.CustomVideoSource;
import dev.onvoid.webrtc.media.video.NativeI420Buffer;
import dev.onvoid.webrtc.media.video.VideoFrame;
import dev.onvoid.webrtc.media.video.VideoTrack;
import java.nio.ByteBuffer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A performer page in Java, for the end-to-end test: joins over our WebSocket protocol, measures the server
 * clock, offers its audio to the media recorder exactly as docs/media-recorder.md tells the web client to, and
 * plays a known tone pattern into a {@link CustomAudioSource} at real-time pace, stamping each onset with the
 * server clock.
 */
final class SyntheticPerformer implements AutoCloseable {
    static final int RATE = 48_000;
    static final int CHUNK = RATE / 100;

    private final String name;
    private final ServerClock clock = new ServerClock();
    private final WebSocket ws;
    private final PeerConnectionFactory factory;
    private final CompletableFuture<JsonNode> welcome = new CompletableFuture<>();
    private final CountDownLatch connected = new CountDownLatch(1);
    private final List<JsonNode> pendingIce = new ArrayList<>();
    private final Object sendLock = new Object();
    private volatile RTCPeerConnection pc;
    private CustomAudioSource source;
    private boolean remoteSet;
    /** Our connection id ({@code data.conn}), and the recorder's once its answer named it ({@code data.to}). */
    private final String conn = PeerSession.newConnId();
    private volatile String remoteConn;
    /** Set before {@link #offerTo}: also offer a camera (a {@link CustomVideoSource} fed by {@link #startVideo}). */
    private boolean sendVideo;
    private CustomVideoSource videoSource;
    private volatile boolean videoRunning;
    private Thread videoThread;
    private final VideoLog videoLog = new VideoLog();

    /** What {@link #startVideo} pushed: server time of the first and last frame and of every colour change. */
    static final class VideoLog {
        volatile long firstServerUs;
        volatile long lastServerUs;
        volatile int pushed;
        final List<Long> colourChangesServerUs = new java.util.concurrent.CopyOnWriteArrayList<>();
        /** Server time of frame k (the number drawn in its top half). */
        final List<Long> framesServerUs = new java.util.concurrent.CopyOnWriteArrayList<>();
    }

    /** Bits of the frame number drawn as black/white bars across the top half of each frame (LSB on the left). */
    static final int NUMBER_BITS = 8;

    /** Flat colours (RGB) the synthetic camera cycles through, one per {@link #COLOUR_MS}. */
    static final int[][] PALETTE = {{220, 30, 30}, {30, 200, 40}, {40, 50, 210}, {230, 230, 230}};
    static final int COLOUR_MS = 1000;

    SyntheticPerformer(String name, String url, PeerConnectionFactory factory) {
        this.name = name;
        this.factory = factory;
        this.ws = HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(URI.create(url), new Listener()).join();
    }

    String id() {
        return welcome.join().path("you").path("id").asText();
    }

    /** Runs time sync (a few exchanges, bounded) and offers audio to the recorder in the roster. */
    void offerTo(String recorderId) throws Exception {
        welcome.get(10, TimeUnit.SECONDS);
        for (int i = 0; i < 8; i++) {
            send(ProtocolCodec.mapper().createObjectNode().put("type", "time_sync").put("clientTs", clock.localMicros()));
            Thread.sleep(30);
        }
        source = new CustomAudioSource();
        AudioTrack track = factory.createAudioTrack("mic-" + name, source);
        pc = factory.createPeerConnection(new RTCConfiguration(), new Observer(recorderId));
        pc.addTrack(track, List.of("stream-" + name));
        if (sendVideo) {
            videoSource = new CustomVideoSource();
            VideoTrack video = factory.createVideoTrack("cam-" + name, videoSource);
            pc.addTrack(video, List.of("stream-" + name));
        }
        CompletableFuture<RTCSessionDescription> offer = new CompletableFuture<>();
        pc.createOffer(new RTCOfferOptions(), new CreateSessionDescriptionObserver() {
            @Override
            public void onSuccess(RTCSessionDescription d) {
                offer.complete(d);
            }

            @Override
            public void onFailure(String error) {
                offer.completeExceptionally(new IllegalStateException(error));
            }
        });
        RTCSessionDescription d = offer.get(10, TimeUnit.SECONDS);
        CompletableFuture<Void> set = new CompletableFuture<>();
        pc.setLocalDescription(d, observer(set));
        set.get(10, TimeUnit.SECONDS);
        ObjectNode data = ProtocolCodec.mapper().createObjectNode();
        data.putObject("description").put("type", "offer").put("sdp", d.sdp);
        signal(recorderId, "offer", data);
    }

    SyntheticPerformer withVideo() {
        this.sendVideo = true;
        return this;
    }

    /**
     * Pushes {@code width}×{@code height} I420 frames at {@code fps} (absolute deadlines) on a thread of its own:
     * a flat colour from {@link #PALETTE}, the next one every {@link #COLOUR_MS}; each change is stamped with the
     * server clock, so stored images can be checked against their {@code serverUs}.
     */
    void startVideo(int width, int height, int fps) {
        videoRunning = true;
        videoThread = new Thread(() -> {
            long start = System.nanoTime();
            long periodNs = 1_000_000_000L / fps;
            int lastColour = -1;
            for (long k = 0; videoRunning; k++) {
                long deadline = start + k * periodNs;
                while (System.nanoTime() < deadline) {
                    LockSupport.parkNanos(deadline - System.nanoTime());
                }
                long now = System.nanoTime();
                int colour = (int) (((now - start) / 1_000_000L / COLOUR_MS) % PALETTE.length);
                NativeI420Buffer buffer = NativeI420Buffer.allocate(width, height);
                fill(buffer, PALETTE[colour], (int) k);
                VideoFrame frame = new VideoFrame(buffer, now);
                try {
                    videoSource.pushFrame(frame);
                } finally {
                    frame.release();
                }
                long serverUs = clock.serverMicrosAt(now);
                videoLog.framesServerUs.add(serverUs);
                if (colour != lastColour) {
                    videoLog.colourChangesServerUs.add(serverUs);
                    lastColour = colour;
                }
                if (videoLog.pushed++ == 0) {
                    videoLog.firstServerUs = serverUs;
                }
                videoLog.lastServerUs = serverUs;
            }
        }, "synthetic-camera-" + name);
        videoThread.start();
    }

    VideoLog stopVideo() throws InterruptedException {
        videoRunning = false;
        if (videoThread != null) {
            videoThread.join(2_000);
        }
        return videoLog;
    }

    /** Bottom half: the flat colour; top half: {@code number} as {@link #NUMBER_BITS} grey bars (black 0, white 1). */
    private static void fill(NativeI420Buffer b, int[] rgb, int number) {
        int yv = (int) Math.round(16 + 0.257 * rgb[0] + 0.504 * rgb[1] + 0.098 * rgb[2]);
        int uv = (int) Math.round(128 - 0.148 * rgb[0] - 0.291 * rgb[1] + 0.439 * rgb[2]);
        int vv = (int) Math.round(128 + 0.439 * rgb[0] - 0.368 * rgb[1] - 0.071 * rgb[2]);
        fillPlane(b.getDataY(), (byte) yv);
        fillPlane(b.getDataU(), (byte) uv);
        fillPlane(b.getDataV(), (byte) vv);
        int w = b.getWidth();
        int bar = w / NUMBER_BITS;
        drawBars(b.getDataY(), b.getStrideY(), b.getHeight() / 2, bar, number, (byte) 16, (byte) 235);
        drawBars(b.getDataU(), b.getStrideU(), b.getHeight() / 4, bar / 2, number, (byte) 128, (byte) 128);
        drawBars(b.getDataV(), b.getStrideV(), b.getHeight() / 4, bar / 2, number, (byte) 128, (byte) 128);
    }

    private static void drawBars(ByteBuffer plane, int stride, int rows, int bar, int number, byte zero, byte one) {
        ByteBuffer p = plane.duplicate();
        for (int row = 0; row < rows; row++) {
            for (int bit = 0; bit < NUMBER_BITS; bit++) {
                byte v = ((number >> bit) & 1) == 1 ? one : zero;
                for (int x = bit * bar; x < (bit + 1) * bar; x++) {
                    p.put(row * stride + x, v);
                }
            }
        }
    }

    private static void fillPlane(ByteBuffer plane, byte value) {
        ByteBuffer p = plane.duplicate();
        p.clear();
        while (p.hasRemaining()) {
            p.put(value);
        }
    }

    boolean awaitConnected(long seconds) throws InterruptedException {
        return connected.await(seconds, TimeUnit.SECONDS);
    }

    /**
     * Plays {@code leadMs} of silence, then {@code bursts} times {@code onMs} of 440 Hz and {@code offMs} of
     * silence, then {@code tailMs}; 10 ms chunks on absolute deadlines. Returns the server time of each onset:
     * the moment the chunk holding the tone's first sample was handed to WebRTC.
     */
    List<Long> playPattern(int leadMs, int bursts, int onMs, int offMs, int tailMs) {
        int totalChunks = (leadMs + bursts * (onMs + offMs) + tailMs) / 10;
        List<Long> onsets = new ArrayList<>();
        byte[] pcm = new byte[CHUNK * 2];
        long start = System.nanoTime() + 20_000_000L;
        long sample = 0;
        for (int k = 0; k < totalChunks; k++) {
            long deadline = start + k * 10_000_000L;
            while (System.nanoTime() < deadline) {
                LockSupport.parkNanos(deadline - System.nanoTime());
            }
            int ms = k * 10 - leadMs;
            boolean on = ms >= 0 && ms < bursts * (onMs + offMs) && ms % (onMs + offMs) < onMs;
            for (int i = 0; i < CHUNK; i++) {
                double v = on ? 0.5 * Math.sin(2 * Math.PI * 440 * (sample + i) / RATE) : 0;
                short s = (short) Math.round(v * 32767);
                pcm[2 * i] = (byte) s;
                pcm[2 * i + 1] = (byte) (s >> 8);
            }
            sample += CHUNK;
            long pushedAt = System.nanoTime();
            source.pushAudio(pcm, 16, RATE, 1, CHUNK);
            if (on && ms % (onMs + offMs) == 0) {
                onsets.add(clock.serverMicrosAt(pushedAt));
            }
        }
        return onsets;
    }

    ServerClock clock() {
        return clock;
    }

    private void onMessage(JsonNode m) {
        switch (m.path("type").asText()) {
            case "welcome" -> welcome.complete(m);
            case "time_sync" -> clock.addSample(m.path("clientTs").asLong(), m.path("serverRecvTs").asLong(),
                    m.path("serverSendTs").asLong(), clock.localMicros());
            case "signal" -> onSignal(m.path("kind").asText(), m.path("data"));
            default -> {
            }
        }
    }

    /** The recorder's signals, in the mesh's shape: addressed to our conn; its conn is learnt from its answer. */
    private synchronized void onSignal(String kind, JsonNode data) {
        if (!conn.equals(data.path("to").asText())) {
            throw new IllegalStateException("a signal not addressed to our connection " + conn + ": " + data);
        }
        if (kind.equals("answer")) {
            remoteConn = data.path("conn").asText();
            pc.setRemoteDescription(new RTCSessionDescription(RTCSdpType.ANSWER,
                            data.path("description").path("sdp").asText()), observer(new CompletableFuture<>()));
            remoteSet = true;
            pendingIce.forEach(this::addIce);
            pendingIce.clear();
        } else if (kind.equals("ice")) {
            if (remoteSet) {
                addIce(data);
            } else {
                pendingIce.add(data);
            }
        }
    }

    private void addIce(JsonNode data) {
        JsonNode d = data.path("candidate");
        pc.addIceCandidate(new RTCIceCandidate(d.path("sdpMid").asText(), d.path("sdpMLineIndex").asInt(),
                d.path("candidate").asText()));
    }

    private void signal(String to, String kind, ObjectNode data) {
        data.put("conn", conn);
        if (remoteConn != null) {
            data.put("to", remoteConn);
        }
        ObjectNode m = ProtocolCodec.mapper().createObjectNode().put("type", "signal").put("to", to).put("kind", kind);
        m.set("data", data);
        send(m);
    }

    private void send(ObjectNode m) {
        synchronized (sendLock) {
            ws.sendText(m.toString(), true).join();
        }
    }

    private static SetSessionDescriptionObserver observer(CompletableFuture<Void> done) {
        return new SetSessionDescriptionObserver() {
            @Override
            public void onSuccess() {
                done.complete(null);
            }

            @Override
            public void onFailure(String error) {
                done.completeExceptionally(new IllegalStateException(error));
            }
        };
    }

    @Override
    public void close() {
        videoRunning = false;
        if (pc != null) {
            pc.close();
        }
        ws.abort();
    }

    private final class Observer implements PeerConnectionObserver {
        private final String recorderId;

        Observer(String recorderId) {
            this.recorderId = recorderId;
        }

        @Override
        public void onIceCandidate(RTCIceCandidate c) {
            ObjectNode data = ProtocolCodec.mapper().createObjectNode();
            data.putObject("candidate").put("candidate", c.sdp).put("sdpMid", c.sdpMid)
                    .put("sdpMLineIndex", c.sdpMLineIndex);
            CompletableFuture.runAsync(() -> signal(recorderId, "ice", data));
        }

        @Override
        public void onConnectionChange(RTCPeerConnectionState state) {
            if (state == RTCPeerConnectionState.CONNECTED) {
                connected.countDown();
            }
        }
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                try {
                    onMessage(ProtocolCodec.mapper().readTree(partial.toString()));
                } catch (Exception e) {
                    e.printStackTrace();
                }
                partial.setLength(0);
            }
            w.request(1);
            return null;
        }
    }
}
