package dev.improv.server.quality;

import dev.improv.server.protocol.MarkKind;
import dev.improv.server.protocol.Role;
import dev.improv.server.protocol.RoomEvent;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A room's timeline as quality sees it: the performers in the room and whether they are connected, and the
 * running take (a scene) with its {@link TakeMeter}. Fed every room event in seq order, live by a room's tap or
 * offline from the session log; events that say nothing about quality cost one type test. Not thread-safe.
 */
public final class QualityTimeline {
    /** Performers in the room: id to connected. */
    private final Map<String, Boolean> performers = new LinkedHashMap<>();
    private TakeMeter take;

    /** A performer already in the room when the timeline starts (a room rebuilt after a restart). */
    public void performer(String pid, boolean connected) {
        performers.put(pid, connected);
    }

    /** Whether this performer is in the room as far as the timeline knows. */
    public boolean knows(String pid) {
        return performers.containsKey(pid);
    }

    /** The running take, or null between scenes. */
    public TakeMeter take() {
        return take;
    }

    /** A take that is already running when the timeline starts (a restart in the middle of a scene). */
    public void resumeTake(int scene, long t) {
        start(scene, t);
    }

    /**
     * Applies one event. Returns the take this event ended ({@code scene_ended}, {@code room_closed}, or a
     * {@code scene_started} while one still ran), else null; its measures are final at the event's {@code ts}.
     */
    public TakeMeter accept(RoomEvent e) {
        long ts = e.ts();
        if (e instanceof RoomEvent.MarkRecorded m) {
            if (take != null && (m.kind() == MarkKind.SPEAKING_START || m.kind() == MarkKind.SPEAKING_STOP)) {
                take.speaking(m.actor(), m.kind() == MarkKind.SPEAKING_START, m.serverTs() != null ? m.serverTs() : ts);
            }
        } else if (e instanceof RoomEvent.MemberJoined j) {
            if (j.member() != null && j.member().role() == Role.PERFORMER) {
                performers.put(j.member().id(), true);
                if (take != null) {
                    take.add(j.member().id(), true, ts);
                }
            }
        } else if (e instanceof RoomEvent.Presence p) {
            if (performers.containsKey(p.id())) {
                performers.put(p.id(), p.connected());
                if (take != null) {
                    take.presence(p.id(), p.connected(), ts);
                }
            }
        } else if (e instanceof RoomEvent.MemberLeft left) {
            if (performers.remove(left.id()) != null && take != null) {
                take.presence(left.id(), false, ts);
            }
        } else if (e instanceof RoomEvent.Muted m) {
            if (take != null) {
                take.muted(m.target(), m.muted(), ts);
            }
        } else if (e instanceof RoomEvent.SceneStarted s) {
            TakeMeter ended = take;
            start(s.scene(), ts);
            return ended;
        } else if (e instanceof RoomEvent.SceneEnded || e instanceof RoomEvent.RoomClosed) {
            TakeMeter ended = take;
            take = null;
            return ended;
        } else if (e instanceof RoomEvent.ServerRestarted) {
            performers.replaceAll((pid, connected) -> false); // everyone is disconnected here and resumes
            if (take != null) {
                for (String pid : take.performers()) {
                    take.presence(pid, false, ts);
                }
            }
        }
        return null;
    }

    private void start(int scene, long t) {
        take = new TakeMeter(scene, t);
        performers.forEach((pid, connected) -> take.add(pid, connected, t));
    }
}
