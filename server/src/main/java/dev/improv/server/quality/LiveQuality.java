package dev.improv.server.quality;

import dev.improv.server.protocol.Role;
import dev.improv.server.protocol.RoomEvent;
import dev.improv.server.room.MicrosClock;
import dev.improv.server.room.Room;
import dev.improv.server.room.RoomSummary;
import dev.improv.server.room.RoomTap;
import java.util.concurrent.ScheduledFuture;

/**
 * Live quality flags: every room gets a tap that keeps its {@link QualityTimeline} on the room's owner thread, and
 * while a scene runs a timer on that same thread evaluates the take every {@link QcThresholds#intervalMs} and
 * publishes a {@code qc_flag} event for each condition that starts or stops holding (through the room's normal
 * path: members, session log, webhooks, export).
 *
 * <p>Why a timer and not each event: most conditions grow with time in which nothing happens (a silence, a
 * speech ratio falling while a performer says nothing), so no event would notice them; an event only updates the
 * meter's sums (O(performers)), and the evaluation costs O(performers) once per interval per room with a running
 * scene, nothing between scenes. Publishing from the timer also keeps the tap from publishing inside a publish.
 */
public final class LiveQuality implements RoomTap.Factory {
    private final MicrosClock clock;
    private final QcThresholds thresholds;

    public LiveQuality(MicrosClock clock, QcThresholds thresholds) {
        this.clock = clock;
        this.thresholds = thresholds;
    }

    @Override
    public RoomTap open(Room room) {
        return new RoomQuality(room);
    }

    /** One room's live quality. Owner thread only (the tap and the timer both run there). */
    private final class RoomQuality implements RoomTap {
        private final Room room;
        private final QualityTimeline timeline = new QualityTimeline();
        /** Conditions raised in the running take. */
        private final QcFlagState flags = new QcFlagState(thresholds);
        private ScheduledFuture<?> timer;

        RoomQuality(Room room) {
            this.room = room;
            RoomSummary s = room.summary(); // a room rebuilt after a restart: its performers, maybe a running scene
            for (dev.improv.server.protocol.ServerMessage.Member m : s.roster()) {
                if (m.role() == Role.PERFORMER) {
                    timeline.performer(m.id(), false);
                }
            }
            if (s.sceneActive()) {
                timeline.resumeTake(s.scene(), clock.nowMicros()); // measured from the restart on
                timer = room.schedule(this::evaluate, thresholds.intervalMs());
            }
        }

        @Override
        public void published(RoomEvent event) {
            if (event instanceof RoomEvent.QcFlag) {
                return;
            }
            TakeMeter ended = timeline.accept(event);
            if (ended != null || event instanceof RoomEvent.SceneStarted) {
                flags.reset();
                if (timer != null) {
                    timer.cancel(false);
                    timer = null;
                }
            }
            if (event instanceof RoomEvent.SceneStarted) {
                timer = room.schedule(this::evaluate, thresholds.intervalMs());
            }
        }

        private void evaluate() {
            TakeMeter take = timeline.take();
            if (take == null || room.closed()) {
                timer = null;
                return;
            }
            int scene = take.scene();
            for (QcFlagState.Change c : flags.evaluate(take.measures(clock.nowMicros()))) {
                room.publishServerEvent((seq, ts) -> new RoomEvent.QcFlag(seq, ts, RoomEvent.SERVER, scene,
                        c.participant(), c.flag(), c.raised(), c.value(), c.threshold()));
            }
            timer = room.schedule(this::evaluate, thresholds.intervalMs());
        }
    }
}
