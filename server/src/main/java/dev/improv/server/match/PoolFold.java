package dev.improv.server.match;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * One pool's state as the fold of its facts: the pure {@link Lobby}, who connected (names, performers seen), the
 * rooms its matches opened, and the time of the latest fact. {@link #apply} is the fold's step — the same code
 * runs live (the hub writes a fact, then applies it) and on a restart — and {@link #snapshot} captures all of it as
 * a {@link PoolSnapshot}, which {@link #apply} takes like any fact: the state becomes the snapshot's. So folding
 * a snapshot and the facts after it gives what folding every fact gives. No threads, no I/O: the pool's owner
 * thread only.
 */
final class PoolFold {
    /** A room made from a confirmed offer, with the moderator it has now. */
    record MatchedRoom(String offerId, String roomId, List<String> performers, String moderator) {
    }

    private final int moderatorCapacity;
    private Lobby lobby;
    private final Map<String, MatchedRoom> matchedByOffer = new LinkedHashMap<>();
    private final Map<String, String> offerByRoom = new HashMap<>();
    private final Map<String, String> names = new HashMap<>();
    /** Every performer this pool has seen, for time accounting exports. */
    private final Set<String> performersSeen = new LinkedHashSet<>();
    private long lastFactAt;

    PoolFold(LobbyConfig config, int moderatorCapacity) {
        this.moderatorCapacity = moderatorCapacity;
        this.lobby = new Lobby(config);
    }

    Lobby lobby() {
        return lobby;
    }

    int moderatorCapacity() {
        return moderatorCapacity;
    }

    /** The latest {@code now} of the facts applied (0 before any that carries a time). */
    long lastFactAt() {
        return lastFactAt;
    }

    String name(String pid) {
        return names.get(pid);
    }

    Collection<String> performersSeen() {
        return performersSeen;
    }

    Collection<MatchedRoom> matchedRooms() {
        return matchedByOffer.values();
    }

    MatchedRoom matchedRoom(String offerId) {
        return matchedByOffer.get(offerId);
    }

    /** The offer a room of this pool was made from, or null when the room is not one of ours. */
    String offerOfRoom(String roomId) {
        return offerByRoom.get(roomId);
    }

    /** The room a performer was matched into and that is still open, or null. */
    MatchedRoom matchedRoomOf(String performerId) {
        for (MatchedRoom r : matchedByOffer.values()) {
            if (r.performers().contains(performerId)) {
                return r;
            }
        }
        return null;
    }

    /** Applies one fact; returns what the lobby made of it (lobby inputs only; empty for the others). */
    List<LobbyEvent> apply(LobbyFact fact) {
        TimeAccounting time = lobby.timeAccounting();
        List<LobbyEvent> events = List.of();
        if (fact instanceof LobbyFact.Joined j) {
            events = lobby.join(j.pid(), new Preferences(j.languages(), j.tags(), j.wantsTagOverlap(), j.avoid()),
                    j.consentVersion(), j.now());
        } else if (fact instanceof LobbyFact.Left l) {
            events = lobby.leave(l.pid(), l.now());
        } else if (fact instanceof LobbyFact.Accepted a) {
            events = lobby.accept(a.pid(), a.offerId(), a.now());
        } else if (fact instanceof LobbyFact.Declined d) {
            events = lobby.decline(d.pid(), d.offerId(), d.now());
        } else if (fact instanceof LobbyFact.ModeratorAvailable ma) {
            events = lobby.moderatorAvailable(ma.mid(), ma.capacity());
        } else if (fact instanceof LobbyFact.ModeratorGone mg) {
            events = lobby.moderatorGone(mg.mid(), mg.now());
        } else if (fact instanceof LobbyFact.Ticked t) {
            events = lobby.tick(t.now());
        } else if (fact instanceof LobbyFact.Connected c) {
            names.put(c.pid(), c.name());
            if (c.role() == dev.improv.server.protocol.Role.PERFORMER) {
                performersSeen.add(c.pid());
            }
        } else if (fact instanceof LobbyFact.RoomOpened r) {
            matchedByOffer.put(r.offerId(), new MatchedRoom(r.offerId(), r.roomId(), r.pids(), r.moderatorId()));
            offerByRoom.put(r.roomId(), r.offerId());
        } else if (fact instanceof LobbyFact.RoomClosed r) {
            lobby.roomClosed(r.offerId());
            matchedByOffer.remove(r.offerId());
            offerByRoom.remove(r.roomId());
        } else if (fact instanceof LobbyFact.SceneStarted sc) {
            time.sceneStarted(sc.roomId(), sc.pids(), sc.now());
        } else if (fact instanceof LobbyFact.SceneEnded sc) {
            time.sceneEnded(sc.roomId(), sc.now());
        } else if (fact instanceof LobbyFact.PerformerPresent p) {
            time.performerJoinedRoom(p.roomId(), p.pid(), p.now());
        } else if (fact instanceof LobbyFact.PerformerAbsent p) {
            time.performerLeftRoom(p.roomId(), p.pid(), p.now());
        } else if (fact instanceof PoolSnapshot snapshot) {
            restore(snapshot);
        } // PoolOpened: the fold was built from it; PoolClosed: the hub stops, nothing is left to fold
        if (!(fact instanceof LobbyFact.Ticked) || !events.isEmpty()) { // a tick that changed nothing is not written
            lastFactAt = Math.max(lastFactAt, fact.now());
        }
        for (LobbyEvent e : events) {
            if (e instanceof LobbyEvent.ModeratorAssigned ma) { // a room that lost its moderator got another one
                MatchedRoom r = matchedByOffer.get(ma.offerId());
                if (r != null) {
                    matchedByOffer.put(r.offerId(), new MatchedRoom(r.offerId(), r.roomId(), r.performers(),
                            ma.moderatorId()));
                }
            }
        }
        return events;
    }

    /** Everything {@link #apply} built so far, as one fact that gives it back. */
    PoolSnapshot snapshot() {
        List<PoolSnapshot.RoomOpened> opened = new ArrayList<>();
        for (MatchedRoom r : matchedByOffer.values()) {
            opened.add(new PoolSnapshot.RoomOpened(r.offerId(), r.roomId(), r.performers(), r.moderator()));
        }
        return new PoolSnapshot(lobby.config(), moderatorCapacity, lastFactAt, new TreeMap<>(names),
                List.copyOf(performersSeen), opened, lobby.snapshot());
    }

    private void restore(PoolSnapshot s) {
        lobby = Lobby.restore(s.config(), s.lobby());
        lastFactAt = s.lastFactAt();
        names.clear();
        names.putAll(s.names());
        performersSeen.clear();
        performersSeen.addAll(s.performersSeen());
        matchedByOffer.clear();
        offerByRoom.clear();
        for (PoolSnapshot.RoomOpened r : s.roomsOpened()) {
            apply(new LobbyFact.RoomOpened(r.offerId(), r.roomId(), r.pids(), r.moderatorId()));
        }
    }
}
