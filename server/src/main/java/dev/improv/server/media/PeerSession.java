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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One recv-only peer connection with one performer: answers the performer's offer, trades ICE candidates and
 * feeds the received audio to the room's writer. Every method is called on the room's control thread; WebRTC's
 * callbacks hop back onto it, except the audio sink, which only converts and queues (it runs on WebRTC's audio
 * thread and must return at once).
 */
final class PeerSession {
    private static final Logger LOG = LoggerFactory.getLogger(PeerSession.class);
    /** Half of a 20 ms Opus packet: on average a sample waits this long for its packet to fill. */
    static final long PACKETIZATION_US = 10_000;
    /** Used until the first statistics arrive: a typical LAN jitter buffer plus packetization. */
    static final long DEFAULT_LATENCY_US = 60_000;

    private final String participantId;
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

    PeerSession(String participantId, int stream, PeerConnectionFactory factory, RTCConfiguration config,
                Executor control, BiConsumer<String, ObjectNode> sendSignal, RoomMediaWriter writer,
                ServerClock clock) {
        this.participantId = participantId;
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
                t.setDirection(RTCRtpTransceiverDirection.INACTIVE); // video is not recorded: do not receive it
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
                ObjectNode data = JsonNodeFactory.instance.objectNode().put("type", "answer").put("sdp", answer.sdp);
                control.execute(() -> sendSignal.accept("answer", data));
            }

            @Override
            public void onFailure(String error) {
                LOG.warn("{}: could not apply our answer: {}", participantId, error);
            }
        });
    }

    /** A remote candidate {@code {"candidate","sdpMid","sdpMLineIndex"}}; an empty one (end of candidates) is skipped. */
    void addRemoteCandidate(JsonNode data) {
        String candidate = data.path("candidate").asText("");
        if (candidate.isEmpty() || closed) {
            return;
        }
        RTCIceCandidate c = new RTCIceCandidate(data.path("sdpMid").asText(null), data.path("sdpMLineIndex").asInt(0),
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
        for (RTCStats s : report.getStats().values()) {
            if (s.getType() == RTCStatsType.INBOUND_RTP && "audio".equals(String.valueOf(s.getAttributes().get("kind")))) {
                jbDelay = number(s, "jitterBufferDelay");
                jbEmitted = (long) number(s, "jitterBufferEmittedCount");
            } else if (s.getType() == RTCStatsType.CANDIDATE_PAIR && Boolean.TRUE.equals(s.getAttributes().get("nominated"))
                    && s.getAttributes().get("currentRoundTripTime") != null) {
                rtt = number(s, "currentRoundTripTime");
            }
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

    void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (track != null) {
            track.removeSink(sink);
        }
        pc.close();
    }

    private final class Observer implements PeerConnectionObserver {
        @Override
        public void onIceCandidate(RTCIceCandidate c) {
            ObjectNode data = JsonNodeFactory.instance.objectNode().put("candidate", c.sdp).put("sdpMid", c.sdpMid)
                    .put("sdpMLineIndex", c.sdpMLineIndex);
            control.execute(() -> {
                if (!closed) {
                    sendSignal.accept("ice", data);
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
            }
        }

        @Override
        public void onConnectionChange(RTCPeerConnectionState state) {
            LOG.info("{}: media connection {} (stream {})", participantId, state, stream);
        }
    }
}
