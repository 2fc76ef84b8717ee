package dev.improv.server.match;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The whole state of one pool as the fold of its facts up to a point of its log: what {@link LobbyHub#replay}
 * would have built from every fact before it. Written to the log as a fact of its own ({@code pool_snapshot}), so
 * that a restart starts the pool here and folds only the facts after it, and the facts before it need not be kept.
 * What the fold only derives is left out and rebuilt: the matcher's bookkeeping (a restored lobby's first round
 * tries every waiting performer, which forms the groups an incremental round would), the pool's indexes, the
 * moderator of each offer or room (the moderators' watch lists say it), and the position pass's shortcut.
 *
 * <p>Read from the log, a snapshot is checked as a whole when it is built: an inconsistent one (an offer that names
 * a performer who does not hold it, a watch list naming an unknown offer, …) fails with the field and the reason,
 * like a fact that cannot be read.
 *
 * @param config            the pool's configuration
 * @param moderatorCapacity rooms a moderator of this pool watches at most
 * @param lastFactAt        the latest {@code now} of the facts folded (a restart gives open offers the time since)
 * @param names             display name by participant id, of everyone who connected
 * @param performersSeen    performers who connected, in the order they first did (time accounting exports)
 * @param roomsOpened       rooms made from confirmed offers and not closed yet, in the order they opened
 * @param lobby             the pure lobby's state
 */
public record PoolSnapshot(LobbyConfig config, int moderatorCapacity, long lastFactAt, Map<String, String> names,
                           List<String> performersSeen, List<RoomOpened> roomsOpened, LobbyState lobby)
        implements LobbyFact {
    public PoolSnapshot {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(lobby, "lobby");
        names = names == null ? Map.of() : names;
        performersSeen = List.copyOf(orEmpty(performersSeen));
        roomsOpened = List.copyOf(orEmpty(roomsOpened));
        for (RoomOpened r : roomsOpened) {
            require(r.roomId() != null && r.offerId() != null, "roomsOpened", "a room without its id or offer");
        }
    }

    @Override
    public long now() {
        return lastFactAt;
    }

    /** A room a confirmed offer became, as the pool's hub keeps it (links, moderator consoles). */
    public record RoomOpened(String offerId, String roomId, List<String> pids, String moderatorId) {
        public RoomOpened {
            pids = List.copyOf(orEmpty(pids));
        }
    }

    /**
     * The {@link Lobby}'s state.
     *
     * @param offerSeq    offers made so far (the next offer id's number follows it)
     * @param members     performers waiting ({@code offerId} null) or holding an offer, by id
     * @param offers      offers sent and not yet confirmed or ended, oldest first (the order they expire in)
     * @param rooms       confirmed offers whose room is still open, oldest first
     * @param moderators  moderators available, by id, with the offers and rooms each watches in assignment order
     * @param unmoderated offers and rooms waiting for a moderator, oldest first
     * @param matchedAt   when the last performers were sent offers (the wait estimate's window), oldest first
     * @param partners    each performer's recent sessions (oldest first), each the partners it played with
     * @param time        time accounting
     */
    public record LobbyState(long offerSeq, List<Member> members, List<Offer> offers, List<Room> rooms,
                             List<Moderator> moderators, List<String> unmoderated, List<Long> matchedAt,
                             Map<String, List<Set<String>>> partners, TimeState time) {
        public LobbyState {
            members = List.copyOf(orEmpty(members));
            offers = List.copyOf(orEmpty(offers));
            rooms = List.copyOf(orEmpty(rooms));
            moderators = List.copyOf(orEmpty(moderators));
            unmoderated = List.copyOf(orEmpty(unmoderated));
            matchedAt = List.copyOf(orEmpty(matchedAt));
            partners = partners == null ? Map.of() : partners;
            Objects.requireNonNull(time, "time");
            require(matchedAt.size() <= WaitEstimator.SAMPLES, "matchedAt", "more than " + WaitEstimator.SAMPLES
                    + " samples");
            Map<String, Member> byPid = new HashMap<>();
            for (Member m : members) {
                require(byPid.put(m.pid(), m) == null, "members", "performer " + m.pid() + " twice");
            }
            Map<String, Offer> byOffer = new HashMap<>();
            for (Offer o : offers) {
                require(byOffer.put(o.id(), o) == null, "offers", "offer " + o.id() + " twice");
                for (String pid : o.pids()) {
                    Member m = byPid.get(pid);
                    require(m != null && o.id().equals(m.offerId()), "offers",
                            "offer " + o.id() + " names " + pid + ", who does not hold it");
                }
                require(o.pids().containsAll(o.accepted()), "offers", "offer " + o.id() + " accepted by a non-member");
            }
            for (Member m : members) {
                require(m.offerId() == null || byOffer.containsKey(m.offerId()), "members",
                        "performer " + m.pid() + " holds unknown offer " + m.offerId());
            }
            Set<String> watchable = new HashSet<>(byOffer.keySet());
            for (Room r : rooms) {
                require(!byOffer.containsKey(r.offerId()) && watchable.add(r.offerId()), "rooms",
                        "room " + r.offerId() + " twice, or also an open offer");
            }
            Map<String, String> watcher = new HashMap<>();
            for (Moderator mod : moderators) {
                for (String id : mod.watching()) {
                    require(watchable.contains(id) && watcher.put(id, mod.id()) == null, "moderators",
                            "moderator " + mod.id() + " watches " + id + ", unknown or watched twice");
                }
            }
            for (String id : unmoderated) {
                require(watchable.contains(id) && !watcher.containsKey(id), "unmoderated",
                        id + " is unknown or has a moderator");
            }
            for (Offer o : offers) {
                require(Objects.equals(o.moderatorId(), watcher.get(o.id())), "offers",
                        "offer " + o.id() + " names another moderator than the one watching it");
            }
        }
    }

    /**
     * A performer in the lobby.
     *
     * @param arrivedAt      first arrival (the place in the queue; kept across failed offers)
     * @param consentVersion the consent text version accepted, at {@code consentAt}
     * @param offerId        the offer it holds, or null while it waits
     * @param toldPosition   the place it was last told (0: not told yet)
     * @param toldEstimate   the wait estimate it was last told
     */
    public record Member(String pid, Preferences prefs, long arrivedAt, int consentVersion, long consentAt,
                         String offerId, int toldPosition, long toldEstimate) {
        public Member {
            Objects.requireNonNull(pid, "pid");
            Objects.requireNonNull(prefs, "prefs");
        }
    }

    public record Offer(String id, List<String> pids, long expiresAt, Set<String> accepted, String moderatorId) {
        public Offer {
            Objects.requireNonNull(id, "id");
            pids = List.copyOf(orEmpty(pids));
            accepted = accepted == null ? Set.of() : accepted;
            require(!pids.isEmpty(), "offers", "offer " + id + " has no performers");
        }
    }

    public record Room(String offerId, List<String> pids) {
        public Room {
            Objects.requireNonNull(offerId, "offerId");
            pids = List.copyOf(orEmpty(pids));
        }
    }

    public record Moderator(String id, int capacity, List<String> watching) {
        public Moderator {
            Objects.requireNonNull(id, "id");
            require(capacity >= 0, "moderators", "moderator " + id + " has a negative capacity");
            watching = List.copyOf(orEmpty(watching));
        }
    }

    /** {@link TimeAccounting}'s state: every performer's totals and open intervals, and the running scenes. */
    public record TimeState(List<PerformerTotals> performers, List<Scene> scenes) {
        public TimeState {
            performers = List.copyOf(orEmpty(performers));
            scenes = List.copyOf(orEmpty(scenes));
        }
    }

    /**
     * One performer's time: closed totals, the intervals still open (since when; null when closed; a scene
     * interval per room), and the closed time per UTC day.
     */
    public record PerformerTotals(String pid, long lobbyMs, long offerMs, long sceneMs, int scenesCompleted,
                                  Long lobbySince, Long offerSince, Map<String, Long> sceneSince, List<Day> days) {
        public PerformerTotals {
            Objects.requireNonNull(pid, "pid");
            sceneSince = sceneSince == null ? Map.of() : sceneSince;
            days = List.copyOf(orEmpty(days));
        }
    }

    /** Closed time of one UTC day ({@code epochDay}: days since 1970-01-01). */
    public record Day(long epochDay, long lobbyMs, long offerMs, long sceneMs, long scenesCompleted) {
    }

    /** A scene running in a room, with the performers present in it. */
    public record Scene(String roomId, Set<String> present) {
        public Scene {
            Objects.requireNonNull(roomId, "roomId");
            present = present == null ? Set.of() : present;
        }
    }

    private static <T> List<T> orEmpty(List<T> list) {
        return list == null ? List.of() : list;
    }

    private static void require(boolean ok, String field, String why) {
        if (!ok) {
            throw new IllegalArgumentException("pool snapshot: " + field + ": " + why);
        }
    }
}
