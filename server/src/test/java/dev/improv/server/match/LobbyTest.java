package dev.improv.server.match;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.improv.server.match.LobbyEvent.ModeratorAssigned;
import dev.improv.server.match.LobbyEvent.ModeratorMissing;
import dev.improv.server.match.LobbyEvent.OfferEndCause;
import dev.improv.server.match.LobbyEvent.OfferExpired;
import dev.improv.server.match.LobbyEvent.Offered;
import dev.improv.server.match.LobbyEvent.Queued;
import dev.improv.server.match.LobbyEvent.Refused;
import dev.improv.server.match.LobbyEvent.RefusalReason;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LobbyTest {
    private static final int CONSENT = 3;
    private static final Preferences EN = Preferences.of(Set.of("en"), Set.of("comedy"), false);

    private Lobby lobby = new Lobby(LobbyConfig.of("evening", CONSENT, "You agree to be recorded.")
            .withOfferTimeoutMs(10_000));

    private static <T extends LobbyEvent> List<T> only(List<LobbyEvent> events, Class<T> type) {
        return events.stream().filter(type::isInstance).map(type::cast).toList();
    }

    @Test
    void outdatedConsentIsRefusedAndNothingIsRecorded() {
        List<LobbyEvent> events = lobby.join("a", EN, CONSENT - 1, 0);

        assertEquals(List.of(new Refused("a", RefusalReason.CONSENT_VERSION_MISMATCH)), events);
        assertEquals(0, lobby.waitingCount());
        assertEquals(0, lobby.timeAccounting().snapshot("a", 1_000).lobbyMs());
    }

    @Test
    void joinQueuesInArrivalOrderAndRejoinKeepsThePlace() {
        assertEquals(List.of(new Queued("a", 1, -1)), lobby.join("a", EN, CONSENT, 0));
        lobby.join("b", Preferences.of(Set.of("de"), Set.of(), false), CONSENT, 5);
        assertEquals(List.of(new Queued("a", 1, -1)), lobby.join("a", EN, CONSENT, 9));
        assertEquals(2, lobby.waitingCount());
    }

    @Test
    void matchedPerformersGetAnOfferAndAllAcceptingConfirmsWithConsentRecords() {
        lobby.moderatorAvailable("mod", 1);
        lobby.join("a", EN, CONSENT, 100);
        lobby.join("b", EN, CONSENT, 200);

        Offered offered = only(lobby.tick(300), Offered.class).get(0);
        assertEquals(List.of("a", "b"), offered.pids());
        assertEquals("mod", offered.moderatorId());
        assertEquals(10_300, offered.expiresAt());

        assertEquals(List.of(new LobbyEvent.Accepted(offered.offerId(), "b")),
                lobby.accept("b", offered.offerId(), 400));
        assertEquals(List.of(new LobbyEvent.Confirmed(offered.offerId(), List.of("a", "b"), "mod",
                List.of(new ConsentRecord("a", CONSENT, 100), new ConsentRecord("b", CONSENT, 200)))),
                lobby.accept("a", offered.offerId(), 500));
        assertEquals(0, lobby.pendingOfferCount());
        assertEquals(List.of(new Refused("a", RefusalReason.UNKNOWN_OFFER)),
                lobby.accept("a", offered.offerId(), 600));
    }

    @Test
    void acceptTimeoutDropsTheSilentOneAndTheOtherKeepsItsPriority() {
        lobby.join("a", EN, CONSENT, 0);
        lobby.join("b", EN, CONSENT, 10);
        Offered offered = only(lobby.tick(20), Offered.class).get(0);
        lobby.join("c", EN, CONSENT, 30);
        lobby.join("d", EN, CONSENT, 40);
        lobby.accept("a", offered.offerId(), 50);
        List<LobbyEvent> events = lobby.tick(offered.expiresAt());

        OfferExpired expired = only(events, OfferExpired.class).get(0);
        assertEquals(List.of("b"), expired.droppedPids());
        assertEquals(List.of("a"), expired.requeuedPids());
        assertEquals(OfferEndCause.TIMEOUT, expired.cause());
        // two performers matched in the last 10 s: about 5 s per place
        assertEquals(new Queued("a", 1, 5_000), only(events, Queued.class).get(0));
        // a is the longest waiter again, so it is served first, with the longest waiting partner c
        assertEquals(List.of("a", "c"), only(events, Offered.class).get(0).pids());
        assertEquals(1, lobby.waitingCount());
        assertEquals(List.of(new Refused("b", RefusalReason.UNKNOWN_OFFER)),
                lobby.accept("b", offered.offerId(), offered.expiresAt() + 1));
    }

    @Test
    void acceptingTooLateEndsTheOfferEvenBeforeTheNextTick() {
        lobby.join("a", EN, CONSENT, 0);
        lobby.join("b", EN, CONSENT, 0);
        Offered offered = only(lobby.tick(0), Offered.class).get(0);
        List<LobbyEvent> events = lobby.accept("a", offered.offerId(), offered.expiresAt());
        assertEquals(List.of("a", "b"), only(events, OfferExpired.class).get(0).droppedPids());
        assertEquals(new Refused("a", RefusalReason.OFFER_EXPIRED), events.get(events.size() - 1));
    }

    @Test
    void declineAndLeaveDropOnlyThatPerformer() {
        lobby.join("a", EN, CONSENT, 0);
        lobby.join("b", EN, CONSENT, 1);
        Offered first = only(lobby.tick(2), Offered.class).get(0);
        OfferExpired declined = only(lobby.decline("b", first.offerId(), 3), OfferExpired.class).get(0);
        assertEquals(new OfferExpired(first.offerId(), List.of("b"), List.of("a"), OfferEndCause.DECLINED), declined);

        lobby.join("c", EN, CONSENT, 4);
        Offered second = only(lobby.tick(5), Offered.class).get(0);
        List<LobbyEvent> left = lobby.leave("a", 6);
        assertEquals(new OfferExpired(second.offerId(), List.of("a"), List.of("c"), OfferEndCause.LEFT), left.get(0));
        assertEquals(List.of(new Queued("c", 1, 1)), only(left, Queued.class));
        assertEquals(1, lobby.waitingCount());
    }

    @Test
    void rejoinWhileOfferedRepeatsTheOffer() {
        lobby.join("a", EN, CONSENT, 0);
        lobby.join("b", EN, CONSENT, 1);
        Offered offered = only(lobby.tick(2), Offered.class).get(0);
        assertEquals(List.of(offered), lobby.join("b", EN, CONSENT, 3));
    }

    @Test
    void moderatorsWatchUpToTheirCapacityAndTheFreestIsChosen() {
        lobby.moderatorAvailable("m1", 2);
        lobby.moderatorAvailable("m2", 1);
        for (int i = 0; i < 8; i++) {
            lobby.join("p" + i, EN, CONSENT, i);
        }
        List<LobbyEvent> events = lobby.tick(10);
        List<String> mods = only(events, Offered.class).stream().map(Offered::moderatorId).toList();
        assertEquals(4, mods.size());
        assertEquals("m1", mods.get(0));
        assertEquals(2, mods.stream().filter("m1"::equals).count());
        assertEquals(1, mods.stream().filter("m2"::equals).count());
        assertNull(mods.get(3));
        assertEquals(1, only(events, ModeratorMissing.class).size());

        // a new moderator takes the offer that has none
        String unmoderated = only(events, Offered.class).get(3).offerId();
        assertEquals(List.of(new ModeratorAssigned(unmoderated, List.of("p6", "p7"), "m3")),
                lobby.moderatorAvailable("m3", 1));
    }

    @Test
    void requiredModeratorsLimitHowManyGroupsAreFormed() {
        lobby = new Lobby(LobbyConfig.of("evening", CONSENT, "text").withRequireModerator(true));
        for (int i = 0; i < 6; i++) {
            lobby.join("p" + i, EN, CONSENT, i);
        }
        assertEquals(0, only(lobby.tick(10), Offered.class).size());
        lobby.moderatorAvailable("m", 2);
        assertEquals(2, only(lobby.tick(20), Offered.class).size());
        assertEquals(2, lobby.waitingCount());
    }

    @Test
    void roomsOfAGoneModeratorMoveToAFreeOneOrAreFlagged() {
        lobby.moderatorAvailable("m1", 2);
        for (int i = 0; i < 4; i++) {
            lobby.join("p" + i, EN, CONSENT, i);
        }
        List<Offered> offered = only(lobby.tick(10), Offered.class);
        // the first offer becomes a room, the second stays pending
        lobby.accept("p0", offered.get(0).offerId(), 11);
        lobby.accept("p1", offered.get(0).offerId(), 11);
        lobby.moderatorAvailable("m2", 1);

        List<LobbyEvent> events = lobby.moderatorGone("m1", 12);
        assertEquals(List.of(
                new ModeratorAssigned(offered.get(0).offerId(), List.of("p0", "p1"), "m2"),
                new ModeratorMissing(offered.get(1).offerId(), List.of("p2", "p3"))), events);

        // the flagged offer, once confirmed, carries no moderator; closing the first room frees m2 for it
        lobby.accept("p2", offered.get(1).offerId(), 13);
        LobbyEvent.Confirmed confirmed = (LobbyEvent.Confirmed) lobby.accept("p3", offered.get(1).offerId(), 13).get(0);
        assertNull(confirmed.moderatorId());
        lobby.roomClosed(offered.get(0).offerId());
        assertEquals(List.of(new ModeratorAssigned(offered.get(1).offerId(), List.of("p2", "p3"), "m2")),
                lobby.moderatorAvailable("m2", 1));
    }

    @Test
    void positionsAndEstimatesAreRefreshedOnTick() {
        lobby.join("a", EN, CONSENT, 0);
        lobby.join("b", EN, CONSENT, 1_000);
        lobby.join("x", Preferences.of(Set.of("de"), Set.of(), false), CONSENT, 2_000);
        lobby.join("y", Preferences.of(Set.of("fr"), Set.of(), false), CONSENT, 3_000);
        List<LobbyEvent> events = lobby.tick(4_000);
        // a and b matched at 4 s: two performers in 0 ms so far; x and y move up
        assertEquals(List.of(new LobbyEvent.PositionChanged("x", 1, 0), new LobbyEvent.PositionChanged("y", 2, 0)),
                only(events, LobbyEvent.PositionChanged.class));
        // 10 s later the rate is 2 per 10 s: 5 s per place
        List<LobbyEvent> later = lobby.tick(14_000);
        assertEquals(List.of(new LobbyEvent.PositionChanged("x", 1, 5_000),
                new LobbyEvent.PositionChanged("y", 2, 10_000)), only(later, LobbyEvent.PositionChanged.class));
        assertTrue(lobby.tick(14_100).isEmpty(), "small moves are not announced");
    }

    @Test
    void lobbyFeedsTimeAccounting() {
        lobby.join("a", EN, CONSENT, 0);
        lobby.join("b", EN, CONSENT, 1_000);
        Offered offered = only(lobby.tick(3_000), Offered.class).get(0);
        lobby.accept("a", offered.offerId(), 4_000);
        lobby.accept("b", offered.offerId(), 5_000);
        TimeAccounting.PerformerTime a = lobby.timeAccounting().snapshot("a", 9_000);
        assertEquals(new TimeAccounting.PerformerTime("a", 3_000, 2_000, 0, 0), a);
    }

    @Test
    void anOfferOpenAtACrashGetsTheDowntimeBackAndNobodyIsDroppedForIt() {
        lobby.join("a", EN, CONSENT, 0);
        lobby.join("b", EN, CONSENT, 10);
        Offered offered = only(lobby.tick(20), Offered.class).get(0);
        lobby.accept("a", offered.offerId(), 50);
        long downtime = 600_000; // ten minutes down, far past the 10 s offer timeout
        lobby.resumeAfterDowntime(downtime);
        long back = 60 + downtime;
        assertTrue(only(lobby.tick(back), OfferExpired.class).isEmpty(), "the offer runs on after the restart");
        assertEquals(List.of(new Offered(offered.offerId(), offered.pids(), offered.moderatorId(),
                offered.expiresAt() + downtime)), lobby.join("b", EN, CONSENT, back), "the rejoin gets the offer");
        assertEquals(1, only(lobby.accept("b", offered.offerId(), back + 1), LobbyEvent.Confirmed.class).size());
        assertEquals(back + 1 - 20, lobby.timeAccounting().snapshot("b", back + 1).offerMs(),
                "the performer was kept waiting by the server: the downtime counts");
    }
}
