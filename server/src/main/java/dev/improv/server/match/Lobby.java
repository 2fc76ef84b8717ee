package dev.improv.server.match;

import dev.improv.server.match.LobbyEvent.OfferEndCause;
import dev.improv.server.match.LobbyEvent.RefusalReason;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The lobby of one pool: performers who accepted the consent text wait here, the {@link Matcher} groups them,
 * each group gets an offer with a moderator, and an offer every member accepts becomes a room.
 *
 * <p>A state machine with no threads and no clock: every method must be called on the lobby's owner thread with
 * the current time {@code now} (epoch millis, never going back), and returns what happened as
 * {@link LobbyEvent}s, in order; it never returns null and never throws for a client's mistake. The caller
 * calls {@link #tick} periodically (e.g. every 250 ms) to expire offers, match and refresh positions.
 */
public final class Lobby {
    private enum State { WAITING, OFFERED }

    private static final class Member {
        final WaitingPerformer performer;
        final ConsentRecord consent;
        State state = State.WAITING;
        String offerId;
        int toldPosition;
        long toldEstimate;

        Member(WaitingPerformer performer, ConsentRecord consent) {
            this.performer = performer;
            this.consent = consent;
        }
    }

    private static final class Offer {
        final String id;
        final List<String> pids;
        long expiresAt;
        final Set<String> accepted = new LinkedHashSet<>();
        String moderatorId;

        Offer(String id, List<String> pids, long expiresAt) {
            this.id = id;
            this.pids = pids;
            this.expiresAt = expiresAt;
        }
    }

    private static final class Moderator {
        final String id;
        int capacity;
        /** Offer ids (pending offers and confirmed rooms) this moderator watches. */
        final Set<String> watching = new LinkedHashSet<>();

        Moderator(String id, int capacity) {
            this.id = id;
            this.capacity = capacity;
        }

        int free() {
            return capacity - watching.size();
        }
    }

    private final LobbyConfig config;
    private final Matcher matcher;
    private final WaitingPool pool = new WaitingPool();
    private final PartnerHistory history;
    private final TimeAccounting time = new TimeAccounting();
    private final WaitEstimator estimator = new WaitEstimator();
    private final Map<String, Member> members = new HashMap<>();
    private final Map<String, Offer> offers = new LinkedHashMap<>();
    /** Confirmed rooms still open: offer id to performer ids. */
    private final Map<String, List<String>> rooms = new LinkedHashMap<>();
    /** Moderator of each pending offer or open room that has one. */
    private final Map<String, String> moderatorOf = new HashMap<>();
    private final Map<String, Moderator> moderators = new TreeMap<>();
    /** Pending offers and open rooms without a moderator, oldest first. */
    private final Set<String> unmoderated = new LinkedHashSet<>();
    private long offerSeq;

    public Lobby(LobbyConfig config) {
        this.config = config;
        this.matcher = new Matcher(config.rules());
        this.history = new PartnerHistory(config.rules().recentSessions());
    }

    public LobbyConfig config() {
        return config;
    }

    /** This pool's time totals; feed scene events into it from the lobby's owner thread. */
    public TimeAccounting timeAccounting() {
        return time;
    }

    /** Performers waiting to be matched (not those holding an offer). */
    public int waitingCount() {
        return pool.size();
    }

    /** Performers waiting or holding an offer, for a restart (each gets its grace period to come back). */
    public java.util.Set<String> performerIds() {
        return java.util.Set.copyOf(members.keySet());
    }

    /** Moderators known as available. */
    public java.util.Set<String> moderatorIds() {
        return java.util.Set.copyOf(moderators.keySet());
    }

    /** Offers sent and not yet confirmed or ended. */
    public int pendingOfferCount() {
        return offers.size();
    }

    /**
     * A performer asks to wait for a match. Refused with {@code CONSENT_VERSION_MISMATCH}, and nothing recorded,
     * unless {@code acceptedConsentVersion} is the pool's current version. A performer who is already waiting
     * keeps its place and hears its {@link LobbyEvent.Queued} again (its new preferences are ignored); one who holds
     * an offer hears that {@link LobbyEvent.Offered} again. Every returned event is for this performer only.
     */
    public List<LobbyEvent> join(String pid, Preferences prefs, int acceptedConsentVersion, long now) {
        if (acceptedConsentVersion != config.consentVersion()) {
            return List.of(new LobbyEvent.Refused(pid, RefusalReason.CONSENT_VERSION_MISMATCH));
        }
        Member known = members.get(pid);
        if (known != null && known.state == State.OFFERED) {
            Offer offer = offers.get(known.offerId);
            return List.of(new LobbyEvent.Offered(offer.id, offer.pids, offer.moderatorId, offer.expiresAt));
        }
        if (known == null) {
            WaitingPerformer performer = new WaitingPerformer(pid, prefs, now);
            known = new Member(performer, new ConsentRecord(pid, acceptedConsentVersion, now));
            members.put(pid, known);
            pool.add(performer);
            time.queued(pid, now);
        }
        return List.of(queued(known, now));
    }

    /**
     * A performer leaves the lobby. If it held an offer, the offer ends ({@code LEFT}) and the others wait again
     * with their priority. Unknown performers get an empty list.
     */
    public List<LobbyEvent> leave(String pid, long now) {
        Member m = members.get(pid);
        if (m == null) {
            return List.of();
        }
        List<LobbyEvent> events = new ArrayList<>();
        if (m.state == State.OFFERED) {
            endOffer(offers.get(m.offerId), Set.of(pid), OfferEndCause.LEFT, now, events);
        } else {
            pool.remove(pid);
            members.remove(pid);
            time.leftLobby(pid, now);
        }
        events.add(new LobbyEvent.Left(pid));
        return events;
    }

    /**
     * A moderator can watch up to {@code capacity} rooms from now on (a new moderator, or a new capacity for a
     * known one; lowering it below the current load takes nothing away). Offers and rooms waiting for a
     * moderator are assigned to it first, oldest first, each as a {@link LobbyEvent.ModeratorAssigned}.
     */
    public List<LobbyEvent> moderatorAvailable(String mid, int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("capacity must not be negative");
        }
        moderators.computeIfAbsent(mid, k -> new Moderator(k, capacity)).capacity = capacity;
        List<LobbyEvent> events = new ArrayList<>();
        for (String offerId : List.copyOf(unmoderated)) {
            Moderator free = freestModerator();
            if (free == null) {
                break;
            }
            unmoderated.remove(offerId);
            assign(free, offerId);
            events.add(new LobbyEvent.ModeratorAssigned(offerId, pidsOf(offerId), free.id));
        }
        return events;
    }

    /**
     * A moderator is gone. Each offer or room it watched goes to the free moderator with the most room
     * ({@link LobbyEvent.ModeratorAssigned}) or, if none is free, is flagged ({@link LobbyEvent.ModeratorMissing})
     * and assigned when one becomes available.
     */
    public List<LobbyEvent> moderatorGone(String mid, long now) {
        Moderator gone = moderators.remove(mid);
        if (gone == null) {
            return List.of();
        }
        List<LobbyEvent> events = new ArrayList<>();
        for (String offerId : gone.watching) {
            moderatorOf.remove(offerId);
            Offer offer = offers.get(offerId);
            if (offer != null) {
                offer.moderatorId = null;
            }
            Moderator next = freestModerator();
            if (next == null) {
                unmoderated.add(offerId);
                events.add(new LobbyEvent.ModeratorMissing(offerId, pidsOf(offerId)));
            } else {
                assign(next, offerId);
                events.add(new LobbyEvent.ModeratorAssigned(offerId, pidsOf(offerId), next.id));
            }
        }
        return events;
    }

    /**
     * Advances the lobby to {@code now}: ends offers whose time ran out (members who did not accept are dropped,
     * the others wait again with their original priority), forms new groups and sends them offers, then tells
     * waiting performers whose place or estimate moved.
     */
    public List<LobbyEvent> tick(long now) {
        List<LobbyEvent> events = new ArrayList<>();
        for (Offer offer : List.copyOf(offers.values())) {
            if (offer.expiresAt <= now) {
                expire(offer, now, events);
            }
        }
        int maxGroups = config.requireModerator() ? freeModeratorSlots() : Integer.MAX_VALUE;
        if (maxGroups > 0) {
            for (MatchGroup group : matcher.match(pool, history, now, maxGroups)) {
                offer(group, now, events);
            }
        }
        refreshPositions(now, events);
        return events;
    }

    /**
     * A performer accepts its offer. When it is the last to accept, the offer becomes a room:
     * {@link LobbyEvent.Confirmed} with everyone's consent record; otherwise {@link LobbyEvent.Accepted}. Accepting
     * twice is harmless. Too late (at or after {@code expiresAt}) ends the offer as a timeout, as {@link #tick}
     * would, and refuses with {@code OFFER_EXPIRED}.
     */
    public List<LobbyEvent> accept(String pid, String offerId, long now) {
        Offer offer = offers.get(offerId);
        if (offer == null) {
            return List.of(new LobbyEvent.Refused(pid, RefusalReason.UNKNOWN_OFFER));
        }
        if (!offer.pids.contains(pid)) {
            return List.of(new LobbyEvent.Refused(pid, RefusalReason.NOT_IN_OFFER));
        }
        List<LobbyEvent> events = new ArrayList<>();
        if (now >= offer.expiresAt) {
            expire(offer, now, events);
            events.add(new LobbyEvent.Refused(pid, RefusalReason.OFFER_EXPIRED));
            return events;
        }
        offer.accepted.add(pid);
        if (offer.accepted.size() < offer.pids.size()) {
            return List.of(new LobbyEvent.Accepted(offerId, pid));
        }
        offers.remove(offerId);
        List<ConsentRecord> consents = new ArrayList<>();
        for (String p : offer.pids) {
            consents.add(members.remove(p).consent);
            time.confirmed(p, now);
        }
        history.record(offer.pids);
        rooms.put(offerId, offer.pids);
        return List.of(new LobbyEvent.Confirmed(offerId, offer.pids, offer.moderatorId, List.copyOf(consents)));
    }

    /**
     * The lobby was folded back from the log after the server was down for {@code downtimeMs}: every offer open
     * at the crash gets that time back, so that nobody is dropped from the queue for not accepting while the
     * server could not take an answer. (Places in the queue need nothing: they go by first arrival.)
     */
    public void resumeAfterDowntime(long downtimeMs) {
        if (downtimeMs > 0) {
            for (Offer offer : offers.values()) {
                offer.expiresAt += downtimeMs;
            }
        }
    }

    /** A performer turns its offer down: it leaves the lobby and the others wait again with their priority. */
    public List<LobbyEvent> decline(String pid, String offerId, long now) {
        Offer offer = offers.get(offerId);
        if (offer == null) {
            return List.of(new LobbyEvent.Refused(pid, RefusalReason.UNKNOWN_OFFER));
        }
        if (!offer.pids.contains(pid)) {
            return List.of(new LobbyEvent.Refused(pid, RefusalReason.NOT_IN_OFFER));
        }
        List<LobbyEvent> events = new ArrayList<>();
        endOffer(offer, Set.of(pid), OfferEndCause.DECLINED, now, events);
        return events;
    }

    /**
     * The room made from offer {@code offerId} has closed: its moderator slot is free again. Call it for every
     * confirmed offer; the lobby keeps each room's moderator assignment until then.
     */
    public void roomClosed(String offerId) {
        if (rooms.remove(offerId) != null) {
            release(offerId);
        }
    }

    // ---- internals ----

    private void offer(MatchGroup group, long now, List<LobbyEvent> events) {
        String id = config.pool() + "-" + (++offerSeq);
        Offer offer = new Offer(id, group.pids(), now + config.offerTimeoutMs());
        offers.put(id, offer);
        for (String pid : offer.pids) {
            Member m = members.get(pid);
            m.state = State.OFFERED;
            m.offerId = id;
            m.toldPosition = 0;
            time.offered(pid, now);
        }
        estimator.matched(offer.pids.size(), now);
        Moderator mod = freestModerator();
        if (mod != null) {
            assign(mod, id);
        } else {
            unmoderated.add(id);
        }
        events.add(new LobbyEvent.Offered(id, offer.pids, offer.moderatorId, offer.expiresAt));
        if (mod == null) {
            events.add(new LobbyEvent.ModeratorMissing(id, offer.pids));
        }
    }

    private void expire(Offer offer, long now, List<LobbyEvent> events) {
        Set<String> late = new LinkedHashSet<>(offer.pids);
        late.removeAll(offer.accepted);
        endOffer(offer, late, OfferEndCause.TIMEOUT, now, events);
    }

    private void endOffer(Offer offer, Set<String> dropped, OfferEndCause cause, long now, List<LobbyEvent> events) {
        offers.remove(offer.id);
        release(offer.id);
        List<String> droppedPids = new ArrayList<>();
        List<Member> requeued = new ArrayList<>();
        for (String pid : offer.pids) {
            Member m = members.get(pid);
            if (dropped.contains(pid)) {
                members.remove(pid);
                time.leftLobby(pid, now);
                droppedPids.add(pid);
            } else {
                m.state = State.WAITING;
                m.offerId = null;
                pool.add(m.performer);
                time.queued(pid, now);
                requeued.add(m);
            }
        }
        events.add(new LobbyEvent.OfferExpired(offer.id, List.copyOf(droppedPids),
                requeued.stream().map(m -> m.performer.id()).toList(), cause));
        for (Member m : requeued) {
            events.add(queued(m, now));
        }
    }

    private LobbyEvent.Queued queued(Member m, long now) {
        int position = pool.inArrivalOrder().headSet(m.performer, false).size() + 1;
        m.toldPosition = position;
        m.toldEstimate = estimator.estimate(position, now);
        return new LobbyEvent.Queued(m.performer.id(), position, m.toldEstimate);
    }

    private void refreshPositions(long now, List<LobbyEvent> events) {
        int position = 0;
        for (WaitingPerformer w : pool.inArrivalOrder()) {
            position++;
            Member m = members.get(w.id());
            long estimate = estimator.estimate(position, now);
            boolean estimateMoved = (estimate < 0) != (m.toldEstimate < 0)
                    || Math.abs(estimate - m.toldEstimate) >= Math.max(1, config.estimateStepMs());
            if (m.toldPosition == 0) {
                m.toldPosition = position;
                m.toldEstimate = estimate;
                events.add(new LobbyEvent.Queued(w.id(), position, estimate));
            } else if (position != m.toldPosition || estimateMoved) {
                m.toldPosition = position;
                m.toldEstimate = estimate;
                events.add(new LobbyEvent.PositionChanged(w.id(), position, estimate));
            }
        }
    }

    private Moderator freestModerator() {
        Moderator best = null;
        for (Moderator m : moderators.values()) {
            if (m.free() > 0 && (best == null || m.free() > best.free())) {
                best = m;
            }
        }
        return best;
    }

    private int freeModeratorSlots() {
        int free = 0;
        for (Moderator m : moderators.values()) {
            free += Math.max(0, m.free());
        }
        return free;
    }

    private void assign(Moderator mod, String offerId) {
        mod.watching.add(offerId);
        moderatorOf.put(offerId, mod.id);
        Offer offer = offers.get(offerId);
        if (offer != null) {
            offer.moderatorId = mod.id;
        }
    }

    private void release(String offerId) {
        unmoderated.remove(offerId);
        String mid = moderatorOf.remove(offerId);
        if (mid != null) {
            Moderator mod = moderators.get(mid);
            if (mod != null) {
                mod.watching.remove(offerId);
            }
        }
    }

    private List<String> pidsOf(String offerId) {
        Offer offer = offers.get(offerId);
        return offer != null ? offer.pids : rooms.getOrDefault(offerId, List.of());
    }
}
