package dev.improv.server.media;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.onvoid.webrtc.CreateSessionDescriptionObserver;
import dev.onvoid.webrtc.PeerConnectionFactory;
import dev.onvoid.webrtc.PeerConnectionObserver;
import dev.onvoid.webrtc.RTCAnswerOptions;
import dev.onvoid.webrtc.RTCConfiguration;
import dev.onvoid.webrtc.RTCIceCandidate;
import dev.onvoid.webrtc.RTCPeerConnection;
import dev.onvoid.webrtc.RTCPeerConnectionState;
import dev.onvoid.webrtc.RTCRtpTransceiver;
import dev.onvoid.webrtc.RTCRtpTransceiverDirection;
import dev.onvoid.webrtc.RTCSdpType;
import dev.onvoid.webrtc.RTCSessionDescription;
import dev.onvoid.webrtc.RTCStats;
import dev.onvoid.webrtc.RTCStatsReport;
import dev.onvoid.webrtc.RTCStatsType;
import dev.onvoid.webrtc.SetSessionDescriptionObserver;
import dev.onvoid.webrtc.media.MediaStreamTrack;
import dev.onvoid.webrtc.media.audio.AudioTrack;
import dev.onvoid.webrtc.media.audio.AudioTrackSink;
import dev.onvoid.webrtc.media.video.I420Buffer;
import dev.onvoid.webrtc.media.video.VideoFrame;
import dev.onvoid.webrtc.media.video.VideoFrameBuffer;
import dev.onvoid.webrtc.media.video.VideoTrack;
import dev.onvoid.webrtc.media.video.VideoTrackSink;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One recv-only peer connection with one performer: answers the performer's offer, trades ICE candidates and
 * feeds the received audio to the room's writer. Every method is called on the room's control thread; WebRTC's
 * callbacks hop back onto it, except the audio sink, which only converts and queues (it runs on WebRTC's audio
 * thread and must return at once), and the video sink (WebRTC's decoder thread), which keeps one frame per
 * {@code 1 / videoFps} seconds, copies its planes (a memcpy) and queues them for the video writer; every frame
 * is released at once, whether kept or not.
 *
 * <p>Signals have the performer mesh's shape (docs/protocol.md, "Signals"): our answer is
 * {@code {"description": {"type": "answer", "sdp"}, "conn", "to"}}, a candidate {@code {"candidate": {"candidate",
 * "sdpMid", "sdpMLineIndex"}, "conn", "to"}}, where {@code conn} is this connection's id and {@code to} the
 * performer's connection (the {@code conn} of its offer).
 */
final class PeerSession {
    private static final Logger LOG = LoggerFactory.getLogger(PeerSession.class);
    /** Half of a 20 ms Opus packet: on average a sample waits this long for its packet to fill. */
    static final long PACKETIZATION_US = 10_000;
    /** Used until the first statistics arrive: a typical LAN jitter buffer plus packetization. */
    static final long DEFAULT_LATENCY_US = 60_000;

    private final String participantId;
    /** Our connection id, new for every peer connection ({@code data.conn} of what we send). */
    private final String conn = newConnId();
    /** The performer's connection id, from its offer ({@code data.to} of what we send). */
    private final String remoteConn;
    private final int stream;
    private final Executor control;
    private final BiConsumer<String, ObjectNode> sendSignal;
    private final RoomMediaWriter writer;
    private final ServerClock clock;
    private final RTCPeerConnection pc;
    private final List<RTCIceCandidate> pendingRemote = new ArrayList<>();
    private boolean remoteSet;
    private boolean closed;
    /** Written by WebRTC's stats callback, read by the audio thread. */
    private volatile long latencyUs = DEFAULT_LATENCY_US;
    /** Stats thread only: the previous jitter buffer totals, for an average over the last interval. */
    private double lastJbDelay;
    private long lastJbEmitted;
    /** Audio thread only. */
    private final AudioConverter48kMono converter = new AudioConverter48kMono();
    private AudioTrack track;
    private final AudioTrackSink sink = this::onAudio;
    /** Null when video is not recorded. */
    private final VideoFrameWriter videoWriter;
    private final long videoPeriodNanos;
    private VideoTrack videoTrack;
    private final VideoTrackSink videoSink = this::onVideo;
    /** Written by the stats callback, read by the video thread. */
    private volatile long videoLatencyUs = DEFAULT_LATENCY_US;
    private double lastVideoJbDelay;
    private long lastVideoJbEmitted;
    private double lastDecodeTime;
    private long lastFramesDecoded;
    private double decodeUs;
    /** Video thread only: when the next frame is due. */
    private long nextVideoDue;
    private boolean videoStarted;
    private final AtomicLong videoFramesSeen = new AtomicLong();
    private final AtomicLong videoFramesKept = new AtomicLong();

    PeerSession(String participantId, String remoteConn, int stream, PeerConnectionFactory factory,
                RTCConfiguration config, Executor control, BiConsumer<String, ObjectNode> sendSignal,
                RoomMediaWriter writer, ServerClock clock) {
        this(participantId, remoteConn, stream, factory, config, control, sendSignal, writer, clock, null, 0);
    }

    /** With {@code videoWriter} non-null and {@code videoFps > 0}, the performer's video is received and sampled. */
    PeerSession(String participantId, String remoteConn, int stream, PeerConnectionFactory factory,
                RTCConfiguration config, Executor control, BiConsumer<String, ObjectNode> sendSignal,
                RoomMediaWriter writer, ServerClock clock, VideoFrameWriter videoWriter, double videoFps) {
        this.participantId = participantId;
        this.remoteConn = remoteConn;
        this.videoWriter = videoFps > 0 ? videoWriter : null;
        this.videoPeriodNanos = videoFps > 0 ? Math.round(1e9 / videoFps) : 0;
        this.stream = stream;
        this.control = control;
        this.sendSignal = sendSignal;
        this.writer = writer;
        this.clock = clock;
        this.pc = factory.createPeerConnection(config, new Observer());
    }

    /** Applies the performer's offer and sends our answer. */
    void acceptOffer(String sdp) {
        pc.setRemoteDescription(new RTCSessionDescription(RTCSdpType.OFFER, sdp), new SetSessionDescriptionObserver() {
            @Override
            public void onSuccess() {
                control.execute(PeerSession.this::answer);
            }

            @Override
            public void onFailure(String error) {
                LOG.warn("{}: offer refused by WebRTC: {}", participantId, error);
            }
        });
    }

    private void answer() {
        if (closed) {
            return;
        }
        remoteSet = true;
        for (RTCIceCandidate c : pendingRemote) {
            pc.addIceCandidate(c);
        }
        pendingRemote.clear();
        for (RTCRtpTransceiver t : pc.getTransceivers()) {
            MediaStreamTrack track = t.getReceiver().getTrack();
            if (track != null && MediaStreamTrack.VIDEO_TRACK_KIND.equals(track.getKind())) {
                // recorded: receive it; not recorded: do not even receive it
                t.setDirection(videoWriter != null ? RTCRtpTransceiverDirection.RECV_ONLY
                        : RTCRtpTransceiverDirection.INACTIVE);
            } else {
                t.setDirection(RTCRtpTransceiverDirection.RECV_ONLY);
            }
        }
        pc.createAnswer(new RTCAnswerOptions(), new CreateSessionDescriptionObserver() {
            @Override
            public void onSuccess(RTCSessionDescription answer) {
                control.execute(() -> setLocal(answer));
            }

            @Override
            public void onFailure(String error) {
                LOG.warn("{}: could not create an answer: {}", participantId, error);
            }
        });
    }

    private void setLocal(RTCSessionDescription answer) {
        if (closed) {
            return;
        }
        pc.setLocalDescription(answer, new SetSessionDescriptionObserver() {
            @Override
            public void onSuccess() {
                ObjectNode data = JsonNodeFactory.instance.objectNode();
                data.putObject("description").put("type", "answer").put("sdp", answer.sdp);
                control.execute(() -> sendSignal.accept("answer", addressed(data)));
            }

            @Override
            public void onFailure(String error) {
                LOG.warn("{}: could not apply our answer: {}", participantId, error);
            }
        });
    }

    /** Our connection id. */
    String conn() {
        return conn;
    }

    /** The performer's connection id this session answers. */
    String remoteConn() {
        return remoteConn;
    }

    private ObjectNode addressed(ObjectNode data) {
        data.put("conn", conn);
        data.put("to", remoteConn);
        return data;
    }

    static String newConnId() {
        return Long.toString(java.util.concurrent.ThreadLocalRandom.current().nextLong(1L << 40, 1L << 41), 36);
    }

    /**
     * A remote candidate, the browser's {@code RTCIceCandidate.toJSON()}: {@code {"candidate","sdpMid",
     * "sdpMLineIndex"}}; null or an empty {@code candidate} (end of candidates) is skipped.
     */
    void addRemoteCandidate(JsonNode init) {
        String candidate = init == null ? "" : init.path("candidate").asText("");
        if (candidate.isEmpty() || closed) {
            return;
        }
        RTCIceCandidate c = new RTCIceCandidate(init.path("sdpMid").asText(null), init.path("sdpMLineIndex").asInt(0),
                candidate);
        if (remoteSet) {
            pc.addIceCandidate(c);
        } else {
            pendingRemote.add(c);
        }
    }

    /** Asks WebRTC for the receive statistics and updates the latency estimate. */
    void pollStats() {
        if (!closed) {
            pc.getStats(this::onStats);
        }
    }

    private void onStats(RTCStatsReport report) {
        double jbDelay = -1;
        long jbEmitted = -1;
        double rtt = 0;
        double videoJbDelay = -1;
        long videoJbEmitted = -1;
        double decodeTime = -1;
        long framesDecoded = -1;
        for (RTCStats s : report.getStats().values()) {
            if (s.getType() == RTCStatsType.INBOUND_RTP && "audio".equals(String.valueOf(s.getAttributes().get("kind")))) {
                jbDelay = number(s, "jitterBufferDelay");
                jbEmitted = (long) number(s, "jitterBufferEmittedCount");
            } else if (s.getType() == RTCStatsType.INBOUND_RTP
                    && "video".equals(String.valueOf(s.getAttributes().get("kind")))) {
                videoJbDelay = number(s, "jitterBufferDelay");
                videoJbEmitted = (long) number(s, "jitterBufferEmittedCount");
                decodeTime = number(s, "totalDecodeTime");
                framesDecoded = (long) number(s, "framesDecoded");
            } else if (s.getType() == RTCStatsType.CANDIDATE_PAIR && Boolean.TRUE.equals(s.getAttributes().get("nominated"))
                    && s.getAttributes().get("currentRoundTripTime") != null) {
                rtt = number(s, "currentRoundTripTime");
            }
        }
        if (decodeTime >= 0 && framesDecoded > lastFramesDecoded) {
            decodeUs = (decodeTime - lastDecodeTime) * 1e6 / (framesDecoded - lastFramesDecoded);
            lastDecodeTime = decodeTime;
            lastFramesDecoded = framesDecoded;
        }
        if (videoJbDelay >= 0 && videoJbEmitted > lastVideoJbEmitted) {
            double averageJb = (videoJbDelay - lastVideoJbDelay) / (videoJbEmitted - lastVideoJbEmitted);
            lastVideoJbDelay = videoJbDelay;
            lastVideoJbEmitted = videoJbEmitted;
            videoLatencyUs = Math.round(averageJb * 1e6 + decodeUs) + Math.round(rtt * 1e6 / 2);
        }
        if (jbDelay < 0 || jbEmitted <= lastJbEmitted) {
            return;
        }
        double averageJb = (jbDelay - lastJbDelay) / (jbEmitted - lastJbEmitted);
        lastJbDelay = jbDelay;
        lastJbEmitted = jbEmitted;
        latencyUs = Math.round(averageJb * 1e6) + Math.round(rtt * 1e6 / 2) + PACKETIZATION_US;
    }

    private static double number(RTCStats s, String name) {
        Object v = s.getAttributes().get(name);
        return v instanceof Number n ? n.doubleValue() : -1;
    }

    long latencyUs() {
        return latencyUs;
    }

    private void onAudio(byte[] data, int bitsPerSample, int sampleRate, int channels, int frames) {
        long arrival = clock.serverMicrosAt(System.nanoTime());
        short[] mono = converter.convert(data, bitsPerSample, sampleRate, channels, frames);
        if (mono.length > 0) {
            writer.offer(new AudioChunk(participantId, mono, arrival, latencyUs, stream));
        }
    }

    /**
     * WebRTC's decoder thread, for every decoded frame (webrtc-java hands us a copy that we must release). Keeps
     * the first frame at or after each due time, so the stored rate averages {@code videoFps} when frames arrive
     * faster; a stall does not cause a burst afterwards (the schedule restarts from the next frame).
     */
    private void onVideo(VideoFrame frame) {
        try {
            long now = System.nanoTime();
            videoFramesSeen.incrementAndGet();
            if (videoWriter == null || (videoStarted && now < nextVideoDue)) {
                return;
            }
            nextVideoDue = videoStarted && now - nextVideoDue < videoPeriodNanos ? nextVideoDue + videoPeriodNanos
                    : now + videoPeriodNanos;
            videoStarted = true;
            long latency = videoLatencyUs;
            long serverUs = clock.serverMicrosAt(now) - latency;
            I420Image image = copy(frame.buffer);
            if (image != null) {
                videoFramesKept.incrementAndGet();
                videoWriter.offer(new VideoFrameWriter.Frame(participantId, image, frame.rotation, serverUs, latency,
                        stream));
            }
        } catch (RuntimeException e) {
            LOG.warn("{}: video frame skipped: {}", participantId, e.toString());
        } finally {
            frame.release();
        }
    }

    private static I420Image copy(VideoFrameBuffer buffer) {
        if (buffer instanceof I420Buffer i420) {
            return I420Image.copyOf(i420);
        }
        I420Buffer converted = buffer.toI420();
        if (converted == null) {
            return null;
        }
        try {
            return I420Image.copyOf(converted);
        } finally {
            converted.release();
        }
    }

    long videoLatencyUs() {
        return videoLatencyUs;
    }

    void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (track != null) {
            track.removeSink(sink);
        }
        if (videoTrack != null) {
            videoTrack.removeSink(videoSink);
            LOG.info("{}: video frames decoded {}, kept {} (stream {})", participantId, videoFramesSeen.get(),
                    videoFramesKept.get(), stream);
        }
        pc.close();
    }

    private final class Observer implements PeerConnectionObserver {
        @Override
        public void onIceCandidate(RTCIceCandidate c) {
            ObjectNode data = JsonNodeFactory.instance.objectNode();
            data.putObject("candidate").put("candidate", c.sdp).put("sdpMid", c.sdpMid)
                    .put("sdpMLineIndex", c.sdpMLineIndex);
            control.execute(() -> {
                if (!closed) {
                    sendSignal.accept("ice", addressed(data));
                }
            });
        }

        @Override
        public void onTrack(RTCRtpTransceiver transceiver) {
            MediaStreamTrack t = transceiver.getReceiver().getTrack();
            if (t instanceof AudioTrack audio) {
                control.execute(() -> {
                    if (!closed && track == null) {
                        track = audio;
                        audio.addSink(sink);
                    }
                });
            } else if (t instanceof VideoTrack video && videoWriter != null) {
                control.execute(() -> {
                    if (!closed && videoTrack == null) {
                        videoTrack = video;
                        video.addSink(videoSink);
                    }
                });
            }
        }

        @Override
        public void onConnectionChange(RTCPeerConnectionState state) {
            LOG.info("{}: media connection {} (stream {})", participantId, state, stream);
        }
    }
}
