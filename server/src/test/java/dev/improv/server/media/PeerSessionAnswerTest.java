package dev.improv.server.media;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.improv.server.testing.TestLocks;
import dev.onvoid.webrtc.CreateSessionDescriptionObserver;
import dev.onvoid.webrtc.PeerConnectionFactory;
import dev.onvoid.webrtc.PeerConnectionObserver;
import dev.onvoid.webrtc.RTCConfiguration;
import dev.onvoid.webrtc.RTCIceCandidate;
import dev.onvoid.webrtc.RTCOfferOptions;
import dev.onvoid.webrtc.RTCPeerConnection;
import dev.onvoid.webrtc.RTCSessionDescription;
import dev.onvoid.webrtc.SetSessionDescriptionObserver;
import dev.onvoid.webrtc.media.audio.AudioDeviceModule;
import dev.onvoid.webrtc.media.audio.AudioLayer;
import dev.onvoid.webrtc.media.audio.CustomAudioSource;
import dev.onvoid.webrtc.media.video.CustomVideoSource;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * The answer to an audio + video offer (what recorder.js now sends): video m-line {@code inactive} with video off,
 * {@code recvonly} with video on; audio always {@code recvonly}. Only signalling, no network needed.
 */
@Tag("media")
@ResourceLock(TestLocks.CPU)
class PeerSessionAnswerTest {
    static PeerConnectionFactory factory;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        factory = new PeerConnectionFactory(new AudioDeviceModule(AudioLayer.kDummyAudio));
    }

    @AfterAll
    static void stop() {
        factory.dispose();
    }

    @Test
    void videoOffAnswersVideoInactive() throws Exception {
        String answer = answerTo(0);
        assertEquals("recvonly", direction(answer, "audio"), answer);
        assertEquals("inactive", direction(answer, "video"), answer);
    }

    @Test
    void videoOnAnswersVideoRecvOnly() throws Exception {
        String answer = answerTo(2);
        assertEquals("recvonly", direction(answer, "audio"), answer);
        assertEquals("recvonly", direction(answer, "video"), answer);
    }

    private String answerTo(double videoFps) throws Exception {
        CustomAudioSource audio = new CustomAudioSource();
        CustomVideoSource video = new CustomVideoSource();
        RTCPeerConnection performer = factory.createPeerConnection(new RTCConfiguration(), new PeerConnectionObserver() {
            @Override
            public void onIceCandidate(RTCIceCandidate candidate) {
            }
        });
        ExecutorService control = Executors.newSingleThreadExecutor();
        RoomMediaWriter writer = new RoomMediaWriter(dir, "room", new RoomMediaWriter.ClockSource() {
            @Override
            public long offsetMicros() {
                return 0;
            }

            @Override
            public long rttMicros() {
                return 0;
            }
        });
        VideoFrameWriter videoWriter = videoFps > 0 ? new VideoFrameWriter(dir, "room") : null;
        PeerSession[] session = new PeerSession[1];
        try {
            performer.addTrack(factory.createAudioTrack("mic", audio), List.of("s"));
            performer.addTrack(factory.createVideoTrack("cam", video), List.of("s"));
            CompletableFuture<RTCSessionDescription> offer = new CompletableFuture<>();
            performer.createOffer(new RTCOfferOptions(), new CreateSessionDescriptionObserver() {
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
            performer.setLocalDescription(d, new SetSessionDescriptionObserver() {
                @Override
                public void onSuccess() {
                    set.complete(null);
                }

                @Override
                public void onFailure(String error) {
                    set.completeExceptionally(new IllegalStateException(error));
                }
            });
            set.get(10, TimeUnit.SECONDS);
            CompletableFuture<ObjectNode> answer = new CompletableFuture<>();
            control.submit(() -> {
                session[0] = new PeerSession("p1", "theirs", 1, factory, new RTCConfiguration(), control,
                        (String kind, ObjectNode data) -> {
                            if (kind.equals("answer")) {
                                answer.complete(data);
                            }
                        }, writer, new ServerClock(), videoWriter, videoFps);
                session[0].acceptOffer(d.sdp);
            }).get(10, TimeUnit.SECONDS);
            ObjectNode data = answer.get(10, TimeUnit.SECONDS);
            // the performer mesh's shape: the description, our connection id, theirs as 'to'
            assertEquals("answer", data.path("description").path("type").asText(), data.toString());
            assertEquals("theirs", data.path("to").asText(), data.toString());
            assertEquals(session[0].conn(), data.path("conn").asText(), data.toString());
            String sdp = data.path("description").path("sdp").asText();
            assertTrue(sdp.contains("m=video"), sdp);
            return sdp;
        } finally {
            control.submit(() -> {
                if (session[0] != null) {
                    session[0].close();
                }
            }).get(10, TimeUnit.SECONDS);
            control.shutdown();
            performer.close();
            writer.close();
            if (videoWriter != null) {
                videoWriter.close();
            }
            video.dispose();
        }
    }

    /** The direction attribute of the first m-line of {@code kind}. */
    static String direction(String sdp, String kind) {
        String[] sections = sdp.split("\r?\nm=");
        for (String s : sections) {
            if (s.startsWith(kind + " ") || s.startsWith("m=" + kind + " ")) {
                for (String d : List.of("sendrecv", "sendonly", "recvonly", "inactive")) {
                    if (s.contains("a=" + d)) {
                        return d;
                    }
                }
            }
        }
        return "none";
    }
}
