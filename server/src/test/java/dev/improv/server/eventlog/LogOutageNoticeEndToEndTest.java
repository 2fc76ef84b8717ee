package dev.improv.server.eventlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.improv.server.config.FsyncPolicy;
import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.protocol.ClientMessage;
import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.protocol.Role;
import dev.improv.server.protocol.ServerMessage;
import dev.improv.server.room.MemberConnection;
import dev.improv.server.room.MicrosClock;
import dev.improv.server.room.Room;
import dev.improv.server.room.RoomLimits;
import dev.improv.server.room.RoomRegistry;
import dev.improv.server.room.SharedFrame;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A room opened on a full disk: every moderator, present or joining later, gets the {@code LOG_UNAVAILABLE}
 * notice; once the disk works again, moderators who join after are not told of the old outage. A real room on its
 * own owner thread and the real session log writer on {@link FaultyStorage} (real files, a switch that makes the
 * disk fail).
 */
@Tag("integration")
class LogOutageNoticeEndToEndTest {
    @TempDir
    Path data;
    final ScheduledExecutorService owner = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stop() {
        owner.shutdownNow();
    }

    /** What one member received: direct messages as records, room events counted. */
    static final class Member implements MemberConnection {
        final List<ServerMessage> direct = new CopyOnWriteArrayList<>();
        volatile int roomEvents;

        @Override
        public void send(SharedFrame frame) {
            roomEvents++;
        }

        @Override
        public void send(ServerMessage message) {
            direct.add(message);
        }

        @Override
        public void close(ErrorCode code, String reason) {
        }

        @Override
        public String remoteAddress() {
            return "test";
        }

        long notices(String level) {
            return direct.stream().filter(m -> m instanceof ServerMessage.Notice n && n.level().equals(level)
                    && n.code().equals(ErrorCode.LOG_UNAVAILABLE.name())).count();
        }

        long acks() {
            return direct.stream().filter(m -> m instanceof ServerMessage.Ack).count();
        }
    }

    ErrorCode join(Room room, String pid, Member m) throws Exception {
        return owner.submit(() -> room.join(pid, pid, Role.MODERATOR, -1, m)).get(20, TimeUnit.SECONDS);
    }

    @Test
    void moderatorsWhoJoinDuringAnOutageAreToldAndThoseAfterItAreNot() throws Exception {
        FaultyStorage storage = new FaultyStorage(data);
        storage.failing.set(true); // the disk is full before the room opens
        try (SessionLogWriter writer = new SessionLogWriter(storage,
                SessionLogWriter.Settings.of(FsyncPolicy.BATCH, 50).withRetry(20, 100).withCloseTimeout(500),
                new ServerMetrics())) {
            Room room = new RoomRegistry(() -> owner, bytes -> new SharedFrame() {
                @Override
                public void release() {
                }
            }, MicrosClock.monotonic(), new ServerMetrics(), writer, "test")
                    .create("R", new RoomLimits(8, Map.of(), 60_000, 64));
            Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> storage.failures.get() > 0);
            Member first = new Member();
            assertNull(join(room, "m1", first));
            Awaitility.await().atMost(20, TimeUnit.SECONDS).alias("the outage notice on joining")
                    .until(() -> first.notices("error") == 1);
            ServerMessage.Notice notice = (ServerMessage.Notice) first.direct.stream()
                    .filter(m -> m instanceof ServerMessage.Notice).findFirst().orElseThrow();
            assertTrue(notice.message().contains("No space left on device"), notice.message());
            owner.submit(() -> room.handle("m1", first, new ClientMessage.PushPrompt("p1", "kept", null, null), 1L))
                    .get(20, TimeUnit.SECONDS);

            Member second = new Member();
            join(room, "m2", second);
            assertEquals(1, second.notices("error"), "a moderator joining later is told at once");
            assertEquals(0, first.acks(), "nothing acknowledged while the log fails");

            storage.failing.set(false);
            Awaitility.await().atMost(20, TimeUnit.SECONDS).alias("the ack once durable").until(() -> first.acks() == 1);
            Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> second.notices("info") == 1);
            Member third = new Member();
            join(room, "m3", third);
            assertEquals(0, third.notices("error"), "after recovery nobody new is told of the old outage");
            assertEquals(1, first.notices("error"), "told once per outage");
            owner.submit(() -> room.close("done", ErrorCode.ROOM_CLOSED)).get(20, TimeUnit.SECONDS);
        }
    }
}
