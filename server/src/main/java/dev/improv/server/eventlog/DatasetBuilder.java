package dev.improv.server.eventlog;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.exc.InvalidTypeIdException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.improv.server.protocol.MarkKind;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.protocol.ProtocolViolation;
import dev.improv.server.protocol.Role;
import dev.improv.server.protocol.RoomEvent;
import dev.improv.server.protocol.ServerMessage;
import java.io.IOException;
import dev.improv.server.room.SessionMeta;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns one session's log (and its metadata) into the training view: participants, scenes with their prompts,
 * per performer the turns and speech segments on the server timeline, voice activity on a fixed grid, and the
 * clock offsets measured. Pure: no I/O, no clock, same input gives the same output. See {@code docs/dataset.md}.
 *
 * <p>Times are server microseconds since the epoch. A mark's time is its {@code serverTs} (the performer's clock
 * corrected by the measured offset); a mark without one falls back to the event {@code ts} (when the server
 * received it), and the interval says so in its {@code startSource} / {@code endSource}.
 */
public final class DatasetBuilder {
    public static final int FORMAT_VERSION = 1;
    public static final int VAD_FRAME_MS = 10;
    private static final long FRAME_US = VAD_FRAME_MS * 1_000L;

    /** Time source of an interval boundary. */
    public static final String CLIENT_CORRECTED = "client_corrected";
    public static final String SERVER_RECEIVED = "server_received";
    public static final String NEXT_START = "next_start";
    public static final String SCENE_END = "scene_end";

    /** Logs are read leniently: a primitive field an older server did not write reads as its default. */
    private static final ObjectReader LOG_READER = ProtocolCodec.mapper().readerFor(RoomEvent.class)
            .without(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    private DatasetBuilder() {
    }

    /** The whole view of one session. */
    public record Dataset(int formatVersion, String sessionId, String roomId, String roomName, Long startedAt,
                          Long endedAt, int vadFrameMs, List<Participant> participants,
                          List<ClockSample> clockOffsets, List<Scene> scenes, List<String> warnings) {
    }

    public record Participant(String id, String name, String role, Long joinedAt) {
    }

    /** One clock measurement of a participant: offset = server clock minus participant clock. */
    public record ClockSample(String participant, long seq, long ts, long offsetUs, long rttUs) {
    }

    /**
     * A scene. {@code endTs}/{@code endSeq} are null when the log holds no end; the tracks then end at the last
     * event of the log. {@code leadInPrompt}: the last prompt pushed between the previous scene and this one.
     */
    public record Scene(int number, String title, long startSeq, long startTs, Long endSeq, Long endTs,
                        Prompt leadInPrompt, List<Prompt> prompts, List<PerformerTrack> performers) {
    }

    public record Prompt(long seq, long ts, String actor, String text, Long durationMs, JsonNode meta) {
    }

    /** One performer in one scene: explicit turns, detected speech, and voice activity. */
    public record PerformerTrack(String participant, String name, List<Interval> turns, List<Interval> speech,
                                 Vad vad) {
    }

    /**
     * A turn or speech segment, [start, end) in server µs. {@code endSeq} is null when no mark closed it (then
     * {@code endSource} is {@value #NEXT_START} or {@value #SCENE_END}).
     */
    public record Interval(long start, long end, long startSeq, Long endSeq, String startSource, String endSource) {
        @JsonProperty("durationUs")
        public long durationUs() {
            return end - start;
        }
    }

    /**
     * Voice activity on a fixed grid: frame {@code i} covers {@code originTs + i*frameMs} ms and is voiced when its
     * midpoint lies inside a speech segment. {@code voiced} lists runs as {@code [firstFrame, frameCount]}.
     */
    public record Vad(long originTs, int frameMs, int frames, List<long[]> voiced, long voicedMs) {
    }

    /** Builds the view. {@code meta} may be null (a log without its metadata file). */
    public static Dataset build(SessionMeta meta, List<SessionLogReader.LogEvent> events) {
        return new Pass(meta).run(events);
    }

    /** One pass over the events, in seq order. */
    private static final class Pass {
        private final SessionMeta meta;
        private final Map<String, Participant> participants = new LinkedHashMap<>();
        private final Map<String, long[]> presence = new LinkedHashMap<>(); // id -> {joinedTs, leftTs or MAX}
        private final List<ClockSample> clocks = new ArrayList<>();
        private final List<SceneBuilder> scenes = new ArrayList<>();
        private final List<String> warnings = new ArrayList<>();
        private SceneBuilder current;
        private Prompt lastPromptOutside;
        private int marksOutside;
        private final Map<String, Integer> unknownTypes = new LinkedHashMap<>();
        private long lastTs;

        Pass(SessionMeta meta) {
            this.meta = meta;
            if (meta != null) {
                for (SessionMeta.ParticipantInfo p : meta.participants()) {
                    participants.put(p.id(), new Participant(p.id(), p.name(), p.role().wireName(), p.joinedAt()));
                    presence.put(p.id(), new long[] {p.joinedAt(), Long.MAX_VALUE});
                }
            }
        }

        Dataset run(List<SessionLogReader.LogEvent> events) {
            for (SessionLogReader.LogEvent e : events) {
                lastTs = Math.max(lastTs, e.ts());
                accept(e.seq(), e.ts(), e.type(), e.json());
            }
            if (current != null) {
                warnings.add("scene " + current.number + " has no end in the log; it ends at the last event");
            }
            unknownTypes.forEach((type, n) -> warnings.add(n + " events of type '" + type
                    + "' (unknown to this server version) are not in the view"));
            if (marksOutside > 0) {
                warnings.add(marksOutside + " marks were recorded outside any scene and are not in the view");
            }
            List<Scene> out = new ArrayList<>();
            for (SceneBuilder s : scenes) {
                out.add(s.build());
            }
            Long startedAt = meta != null ? Long.valueOf(meta.startedAt())
                    : events.isEmpty() ? null : events.get(0).ts();
            return new Dataset(FORMAT_VERSION, meta == null ? null : meta.sessionId(),
                    meta == null ? null : meta.roomId(), meta == null ? null : meta.roomName(), startedAt,
                    meta == null ? null : meta.endedAt(), VAD_FRAME_MS, List.copyOf(participants.values()),
                    List.copyOf(clocks), out, List.copyOf(warnings));
        }

        /**
         * One logged event, decoded into the protocol's record (the one list of event types and fields is
         * {@link RoomEvent}): no type names kept here. Read leniently (a field an older log lacks reads as its
         * default); an event that does not decode is reported in the warnings, never dropped silently.
         */
        private void accept(long seq, long ts, String type, ObjectNode json) {
            RoomEvent event;
            try {
                event = LOG_READER.readValue(json);
            } catch (InvalidTypeIdException e) {
                unknownTypes.merge(type, 1, Integer::sum); // a newer server's event: not part of this view
                return;
            } catch (IOException | RuntimeException e) {
                warnings.add(type + " at seq " + seq + " is unreadable (" + reason(e) + "), ignored");
                return;
            }
            String actor = event.actor();
            if (event instanceof RoomEvent.MemberJoined joined) {
                ServerMessage.Member m = joined.member();
                if (m != null && m.id() != null) {
                    participants.putIfAbsent(m.id(), new Participant(m.id(), m.name(),
                            m.role() == null ? null : m.role().wireName(), ts));
                    presence.computeIfAbsent(m.id(), k -> new long[] {ts, Long.MAX_VALUE});
                }
            } else if (event instanceof RoomEvent.MemberLeft left) {
                long[] p = presence.get(left.id());
                if (p != null) {
                    p[1] = ts;
                }
            } else if (event instanceof RoomEvent.ClockMeasured clock) {
                clocks.add(new ClockSample(actor, seq, ts, clock.offsetUs(), clock.rttUs()));
            } else if (event instanceof RoomEvent.SceneStarted started) {
                if (current != null) {
                    warnings.add("scene " + current.number + " never ended; closed when scene " + started.scene()
                            + " started");
                    current.end(null, ts);
                }
                current = new SceneBuilder(started.scene(), started.title(), seq, ts, lastPromptOutside);
                scenes.add(current);
                lastPromptOutside = null;
            } else if (event instanceof RoomEvent.SceneEnded) {
                if (current == null) {
                    warnings.add("scene_ended at seq " + seq + " without a running scene, ignored");
                } else {
                    current.end(seq, ts);
                    current = null;
                }
            } else if (event instanceof RoomEvent.Prompt prompt) {
                Prompt p = new Prompt(seq, ts, actor, prompt.text(), prompt.durationMs(), prompt.meta());
                if (current != null) {
                    current.prompts.add(p);
                } else {
                    lastPromptOutside = p;
                }
            } else if (event instanceof RoomEvent.MarkRecorded mark) {
                if (current == null) {
                    marksOutside++;
                    return;
                }
                boolean corrected = mark.serverTs() != null;
                current.marks.computeIfAbsent(actor, k -> new ArrayList<>()).add(new Mark(seq, mark.kind(),
                        corrected ? mark.serverTs() : ts, corrected ? CLIENT_CORRECTED : SERVER_RECEIVED));
            }
            // presence, muted, room_locked, consent, server_restarted, room_closed: not part of the training view
        }

        private static String reason(Exception e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof ProtocolViolation v) {
                    return v.getMessage();
                }
            }
            String m = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
            return m == null ? e.getClass().getSimpleName() : m.length() > 120 ? m.substring(0, 120) + "…" : m;
        }

        private final class SceneBuilder {
            final int number;
            final String title;
            final long startSeq;
            final long startTs;
            final Prompt leadIn;
            final List<Prompt> prompts = new ArrayList<>();
            final Map<String, List<Mark>> marks = new LinkedHashMap<>();
            Long endSeq;
            Long endTs;

            SceneBuilder(int number, String title, long startSeq, long startTs, Prompt leadIn) {
                this.number = number;
                this.title = title;
                this.startSeq = startSeq;
                this.startTs = startTs;
                this.leadIn = leadIn;
            }

            void end(Long seq, long ts) {
                endSeq = seq;
                endTs = ts;
            }

            Scene build() {
                long end = endTs != null ? endTs : Math.max(lastTs, startTs);
                List<String> performers = new ArrayList<>();
                for (Participant p : participants.values()) {
                    long[] when = presence.get(p.id());
                    boolean present = when != null && when[0] <= end && when[1] >= startTs;
                    if ((Role.PERFORMER.wireName().equals(p.role()) && present) || marks.containsKey(p.id())) {
                        performers.add(p.id());
                    }
                }
                for (String actor : marks.keySet()) {
                    if (!performers.contains(actor)) {
                        performers.add(actor); // marks from someone the log never introduced
                    }
                }
                List<PerformerTrack> tracks = new ArrayList<>();
                for (String id : performers) {
                    List<Mark> own = marks.getOrDefault(id, List.of());
                    String who = "scene " + number + ", " + id;
                    List<Interval> turns = pair(own, MarkKind.TURN_START, MarkKind.TURN_END, end, who, warnings);
                    List<Interval> speech = pair(own, MarkKind.SPEAKING_START, MarkKind.SPEAKING_STOP, end, who,
                            warnings);
                    Participant p = participants.get(id);
                    tracks.add(new PerformerTrack(id, p == null ? null : p.name(), turns, speech,
                            vad(speech, startTs, end)));
                }
                return new Scene(number, title, startSeq, startTs, endSeq, endTs, leadIn, List.copyOf(prompts),
                        tracks);
            }
        }
    }

    private record Mark(long seq, MarkKind kind, long time, String source) {
    }

    /**
     * Pairs start and stop marks (in log order) into intervals. A second start while one is open closes the open
     * one at the new start; a stop without a start is ignored; an interval still open at the scene's end is
     * closed there. An end before its start (the clock offset moved between the marks) is clamped to the start.
     */
    static List<Interval> pair(List<Mark> marks, MarkKind startKind, MarkKind stopKind, long sceneEnd, String who,
                               List<String> warnings) {
        List<Interval> out = new ArrayList<>();
        Mark open = null;
        for (Mark m : marks) {
            if (m.kind() == startKind) {
                if (open != null) {
                    out.add(interval(open, m.time(), null, NEXT_START, who, warnings));
                }
                open = m;
            } else if (m.kind() == stopKind) {
                if (open == null) {
                    warnings.add(who + ": " + stopKind.wireName() + " at seq " + m.seq() + " without a "
                            + startKind.wireName() + ", ignored");
                } else {
                    out.add(interval(open, m.time(), m.seq(), m.source(), who, warnings));
                    open = null;
                }
            }
        }
        if (open != null) {
            out.add(interval(open, Math.max(sceneEnd, open.time()), null, SCENE_END, who, warnings));
        }
        out.sort(Comparator.comparingLong(Interval::start).thenComparingLong(Interval::startSeq));
        return out;
    }

    private static Interval interval(Mark start, long end, Long endSeq, String endSource, String who,
                                     List<String> warnings) {
        if (end < start.time()) {
            warnings.add(who + ": interval starting at seq " + start.seq() + " ends " + (start.time() - end)
                    + " us before it starts (clock offset changed); clamped to zero length");
            end = start.time();
        }
        return new Interval(start.time(), end, start.seq(), endSeq, start.source(), endSource);
    }

    /** Voice activity of speech segments on the {@value #VAD_FRAME_MS} ms grid from {@code origin} to {@code end}. */
    static Vad vad(List<Interval> speech, long origin, long end) {
        int frames = (int) Math.max(0, ceilDiv(end - origin, FRAME_US));
        List<long[]> runs = new ArrayList<>();
        for (Interval s : speech) {
            // frame i is voiced when its midpoint origin + i*F + F/2 lies in [start, end)
            long first = Math.max(0, ceilDiv(s.start() - origin - FRAME_US / 2, FRAME_US));
            long pastLast = Math.min(frames, ceilDiv(s.end() - origin - FRAME_US / 2, FRAME_US));
            if (pastLast <= first) {
                continue;
            }
            long[] last = runs.isEmpty() ? null : runs.get(runs.size() - 1);
            if (last != null && first <= last[0] + last[1]) {
                last[1] = Math.max(last[1], pastLast - last[0]);
            } else {
                runs.add(new long[] {first, pastLast - first});
            }
        }
        long voiced = 0;
        for (long[] run : runs) {
            voiced += run[1];
        }
        return new Vad(origin, VAD_FRAME_MS, frames, runs, voiced * VAD_FRAME_MS);
    }

    private static long ceilDiv(long a, long b) {
        return -Math.floorDiv(-a, b);
    }
}
