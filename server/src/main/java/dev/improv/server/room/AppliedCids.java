package dev.improv.server.room;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Which client message ids ({@code cid}) each participant of a room session has had applied, and the seq of the
 * event each one produced (0 for none). It belongs to the room session, not to a {@link Participant}: it outlives
 * the participant's connection, its resume window and a leave and rejoin, so that a cid resent at any time in the
 * session is acknowledged as a duplicate instead of being applied again. Only applied messages are remembered; a
 * refused one may be sent again with the same cid and is then handled as new.
 *
 * <p>Bounded: the latest {@link #PER_PARTICIPANT} cids of each participant, and at most {@link #MAX_BYTES} of
 * memory (estimated) for the whole room; past that, the oldest cids of the participant seen least recently are
 * forgotten first. Owner thread only.
 *
 * <p>To survive a restart, a log replays what it recorded through {@link #applied} (in the order applied) and can
 * write what is held through {@link #forEach} (participants least recent first, each one's cids oldest first).
 */
public final class AppliedCids {
    /** Cids remembered per participant (the protocol promises this many). */
    public static final int PER_PARTICIPANT = 512;
    /** Estimated memory for the whole room session: 512 cids of 64 characters for 32 participants fit. */
    public static final long MAX_BYTES = 4L << 20;
    /** Estimated cost of one remembered cid besides its characters: map entry, Long, String header. */
    static final int ENTRY_OVERHEAD_BYTES = 96;

    /** Receives what is held; see {@link #forEach}. */
    @FunctionalInterface
    public interface Visitor {
        void applied(String participantId, String cid, long seq);
    }

    private final int perParticipant;
    private final long maxBytes;
    /** Participants in access order: least recently applied or asked first. */
    private final LinkedHashMap<String, LinkedHashMap<String, Long>> byParticipant =
            new LinkedHashMap<>(16, 0.75f, true);
    private long bytes;

    public AppliedCids() {
        this(PER_PARTICIPANT, MAX_BYTES);
    }

    AppliedCids(int perParticipant, long maxBytes) {
        if (perParticipant < 1 || maxBytes < 1) {
            throw new IllegalArgumentException("bounds must be positive");
        }
        this.perParticipant = perParticipant;
        this.maxBytes = maxBytes;
    }

    /** The seq the cid produced (0: applied without an event), or null when this cid was not applied. */
    public Long appliedSeq(String participantId, String cid) {
        Map<String, Long> cids = byParticipant.get(participantId);
        return cids == null ? null : cids.get(cid);
    }

    /** Remembers that the participant's message with this cid was applied and produced event {@code seq}. */
    public void applied(String participantId, String cid, long seq) {
        LinkedHashMap<String, Long> cids = byParticipant.computeIfAbsent(participantId, k -> new LinkedHashMap<>());
        if (cids.put(cid, seq) == null) {
            bytes += cost(cid);
        }
        if (cids.size() > perParticipant) {
            Iterator<Map.Entry<String, Long>> oldest = cids.entrySet().iterator();
            bytes -= cost(oldest.next().getKey());
            oldest.remove();
        }
        while (bytes > maxBytes) {
            forgetOldestOfLeastRecent();
        }
    }

    private void forgetOldestOfLeastRecent() {
        Iterator<Map.Entry<String, LinkedHashMap<String, Long>>> participants = byParticipant.entrySet().iterator();
        Map.Entry<String, LinkedHashMap<String, Long>> least = participants.next();
        Iterator<String> oldest = least.getValue().keySet().iterator();
        bytes -= cost(oldest.next());
        oldest.remove();
        if (least.getValue().isEmpty()) {
            participants.remove();
        }
    }

    private static long cost(String cid) {
        return 2L * cid.length() + ENTRY_OVERHEAD_BYTES;
    }

    /** Cids held for this participant. */
    public int count(String participantId) {
        Map<String, Long> cids = byParticipant.get(participantId);
        return cids == null ? 0 : cids.size();
    }

    /** Estimated bytes held. */
    public long bytes() {
        return bytes;
    }

    /** Every cid held: participants least recent first, each one's cids oldest first. Does not change the order. */
    public void forEach(Visitor visitor) {
        for (Map.Entry<String, LinkedHashMap<String, Long>> p : byParticipant.entrySet()) {
            for (Map.Entry<String, Long> c : p.getValue().entrySet()) {
                visitor.applied(p.getKey(), c.getKey(), c.getValue());
            }
        }
    }
}
