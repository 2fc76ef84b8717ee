package dev.improv.server.take;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ScheduledFuture;

/** The state of one take (one scene's local recording). Takes thread only. */
final class Take {
    enum State {
        /** The scene runs: chunks come in. */
        RECORDING,
        /** The scene ended: chunks still on the pages may come in until every track is complete or the grace ends. */
        ENDED,
        /** Assembled: no chunk is taken any more. */
        CLOSED
    }

    /** One performer's track of the take: the microphone's PCM chunks and, where the camera is recorded, its WebM. */
    static final class Track {
        final String participant;
        final TreeMap<Integer, ChunkMeta> chunks = new TreeMap<>();
        long bytes;
        /** Index of the chunk the page marked as its last, or -1. */
        int lastIndex = -1;
        /** Samples the page says it has recorded so far (its own count, sent with each upload). */
        long recordedSamples;
        long uploadedSamples;
        /** The camera's chunks (empty unless the page records it); they count their own indexes. */
        final TreeMap<Integer, VideoChunkMeta> video = new TreeMap<>();
        long videoBytes;
        int videoLastIndex = -1;

        Track(String participant) {
            this.participant = participant;
        }

        /** The microphone's chunks are all here, up to the one marked last. */
        boolean audioComplete() {
            return complete(chunks, lastIndex);
        }

        /** No camera chunk arrived, or they are all here up to the one marked last. */
        boolean videoComplete() {
            return video.isEmpty() || complete(video, videoLastIndex);
        }

        boolean complete() {
            return audioComplete() && videoComplete();
        }

        /** The smallest index not stored yet. */
        static int firstMissing(NavigableMap<Integer, ?> stored) {
            int i = 0;
            for (int k : stored.keySet()) {
                if (k != i) {
                    break;
                }
                i++;
            }
            return i;
        }

        private static boolean complete(NavigableMap<Integer, ?> stored, int last) {
            return last >= 0 && stored.size() == last + 1 && stored.lastKey() == last;
        }
    }

    final String id;
    final String roomId;
    final String sessionId;
    final int scene;
    final long startedUs;
    long endedUs;
    State state = State.RECORDING;
    long bytes;
    /** Consenting performers on stage while the take ran: the tracks a complete take must have. */
    final Set<String> expected = new LinkedHashSet<>();
    final Map<String, Track> tracks = new LinkedHashMap<>();
    ScheduledFuture<?> graceTimer;

    Take(String roomId, String sessionId, int scene, long startedUs) {
        this.id = idOf(roomId, scene);
        this.roomId = roomId;
        this.sessionId = sessionId;
        this.scene = scene;
        this.startedUs = startedUs;
    }

    static String idOf(String roomId, int scene) {
        return roomId + "-" + scene;
    }

    Track track(String pid) {
        return tracks.computeIfAbsent(pid, Track::new);
    }

    /** Every expected track, and every track begun, has all its chunks up to its last. */
    boolean complete() {
        for (String pid : expected) {
            Track t = tracks.get(pid);
            if (t == null || !t.complete()) {
                return false;
            }
        }
        return tracks.values().stream().allMatch(Track::complete);
    }
}
