package dev.improv.server.match;

import dev.improv.server.match.LobbyEvent.OfferEndCause;
import dev.improv.server.match.LobbyEvent.RefusalReason;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
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
    private final WaitingPool pool = new WaitingPool();
    private final PartnerHistory history;
    private final IncrementalMatcher matcher;
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
    /**
     * What the last full pass of {@link #refreshPositions} saw (and {@link #queued} kept up to date for newcomers at
     * the end). While the pool and the estimator stay as they were, no place moves, and no estimate moves by a step
     * before {@code positionsQuietUntil}: a tick before then has nothing to tell and skips the pass.
     */
    private long positionsPoolVersion = -1;
    private long positionsEstimatorVersion = -1;
    private long positionsQuietUntil;

    public Lobby(LobbyConfig config) {
        this.config = config;
        this.history = new PartnerHistory(config.rules().recentSessions());
        this.matcher = new IncrementalMatcher(config.rules(), pool, history);
    }

    public LobbyConfig config() {
        return config;
    }

    /** This pool's time totals; feed scene events into it from the lobby's owner thread. */
    public TimeAccounting timeAccounting() {
        return time;
    }

    /** Who played with whom recently (read-only use: tests and the pool's state). */
    PartnerHistory partnerHistory() {
        return history;
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
        boolean added = known == null;
        if (added) {
            WaitingPerformer performer = new WaitingPerformer(pid, prefs, now);
            known = new Member(performer, new ConsentRecord(pid, acceptedConsentVersion, now));
            members.put(pid, known);
            pool.add(performer);
            time.queued(pid, now);
        }
        return List.of(queued(known, added, now));
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
            for (MatchGroup group : matcher.match(now, maxGroups)) {
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

    /**
     * This lobby's whole state for a {@link PoolSnapshot}, in a fixed order (so that equal lobbies give equal
     * snapshots). Not kept: what {@link #restore} rebuilds (see {@link PoolSnapshot}).
     */
    PoolSnapshot.LobbyState snapshot() {
        List<PoolSnapshot.Member> ms = new ArrayList<>();
        for (Member m : new TreeMap<>(members).values()) {
            ms.add(new PoolSnapshot.Member(m.performer.id(), m.performer.prefs(), m.performer.arrivedAt(),
                    m.consent.consentVersion(), m.consent.acceptedAt(), m.offerId, m.toldPosition, m.toldEstimate));
        }
        List<PoolSnapshot.Offer> os = new ArrayList<>();
        for (Offer o : offers.values()) {
            os.add(new PoolSnapshot.Offer(o.id, o.pids, o.expiresAt, Set.copyOf(o.accepted), o.moderatorId));
        }
        List<PoolSnapshot.Room> rs = new ArrayList<>();
        rooms.forEach((offerId, pids) -> rs.add(new PoolSnapshot.Room(offerId, pids)));
        List<PoolSnapshot.Moderator> mods = new ArrayList<>();
        for (Moderator m : moderators.values()) {
            mods.add(new PoolSnapshot.Moderator(m.id, m.capacity, List.copyOf(m.watching)));
        }
        return new PoolSnapshot.LobbyState(offerSeq, ms, os, rs, mods, List.copyOf(unmoderated),
                estimator.samples(), history.sessions(), time.snapshot());
    }

    /**
     * A lobby in the state {@code s} (from {@link #snapshot}): every waiting performer is tried again in the next
     * round, which forms the groups the incremental rounds would have formed; the next position pass looks at
     * everyone and tells only who moved, as it would have.
     */
    static Lobby restore(LobbyConfig config, PoolSnapshot.LobbyState s) {
        Lobby l = new Lobby(config);
        l.offerSeq = s.offerSeq();
        for (PoolSnapshot.Member m : s.members()) {
            Member member = new Member(new WaitingPerformer(m.pid(), m.prefs(), m.arrivedAt()),
                    new ConsentRecord(m.pid(), m.consentVersion(), m.consentAt()));
            member.toldPosition = m.toldPosition();
            member.toldEstimate = m.toldEstimate();
            l.members.put(m.pid(), member);
            if (m.offerId() != null) {
                member.state = State.OFFERED;
                member.offerId = m.offerId();
            } else {
                l.pool.add(member.performer);
            }
        }
        for (PoolSnapshot.Offer o : s.offers()) {
            Offer offer = new Offer(o.id(), o.pids(), o.expiresAt());
            offer.accepted.addAll(o.accepted());
            offer.moderatorId = o.moderatorId();
            l.offers.put(o.id(), offer);
        }
        for (PoolSnapshot.Room r : s.rooms()) {
            l.rooms.put(r.offerId(), r.pids());
        }
        for (PoolSnapshot.Moderator m : s.moderators()) {
            Moderator mod = new Moderator(m.id(), m.capacity());
            mod.watching.addAll(m.watching());
            m.watching().forEach(offerId -> l.moderatorOf.put(offerId, m.id()));
            l.moderators.put(m.id(), mod);
        }
        l.unmoderated.addAll(s.unmoderated());
        l.estimator.restore(s.matchedAt());
        l.history.restore(s.partners());
        l.time.restore(s.time());
        return l;
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
            events.add(queued(m, false, now));
        }
    }

    /** Tells {@code m} its place; {@code justAdded}: the pool's last change was adding {@code m}. */
    private LobbyEvent.Queued queued(Member m, boolean justAdded, long now) {
        // A newcomer is usually last: its place is the pool's size, without counting everyone ahead of it.
        NavigableSet<WaitingPerformer> order = pool.inArrivalOrder();
        boolean last = order.last().equals(m.performer);
        int position = last ? order.size() : order.headSet(m.performer, false).size() + 1;
        m.toldPosition = position;
        m.toldEstimate = estimator.estimate(position, now);
        // The position pass may still skip if nobody else moved: nothing changed since it (a performer told its
        // place again), or the only change is this newcomer at the end. Its own estimate joins the deadline.
        long unchanged = justAdded && last ? pool.version() - 1 : pool.version();
        if (positionsPoolVersion == unchanged && positionsEstimatorVersion == estimator.version()) {
            positionsPoolVersion = pool.version();
            positionsQuietUntil = Math.min(positionsQuietUntil,
                    estimator.movesAt(position, m.toldEstimate, Math.max(1, config.estimateStepMs()), now));
        } else {
            positionsPoolVersion = -1; // someone else may have moved: the next pass looks at everyone
        }
        return new LobbyEvent.Queued(m.performer.id(), position, m.toldEstimate);
    }

    private void refreshPositions(long now, List<LobbyEvent> events) {
        if (pool.version() == positionsPoolVersion && estimator.version() == positionsEstimatorVersion
                && now < positionsQuietUntil) {
            return;
        }
        long step = Math.max(1, config.estimateStepMs());
        long quietUntil = Long.MAX_VALUE;
        int position = 0;
        for (WaitingPerformer w : pool.inArrivalOrder()) {
            position++;
            Member m = members.get(w.id());
            long estimate = estimator.estimate(position, now);
            boolean estimateMoved = (estimate < 0) != (m.toldEstimate < 0)
                    || Math.abs(estimate - m.toldEstimate) >= step;
            if (m.toldPosition == 0) {
                m.toldPosition = position;
                m.toldEstimate = estimate;
                events.add(new LobbyEvent.Queued(w.id(), position, estimate));
            } else if (position != m.toldPosition || estimateMoved) {
                m.toldPosition = position;
                m.toldEstimate = estimate;
                events.add(new LobbyEvent.PositionChanged(w.id(), position, estimate));
            }
            quietUntil = Math.min(quietUntil, estimator.movesAt(position, m.toldEstimate, step, now));
        }
        positionsPoolVersion = pool.version();
        positionsEstimatorVersion = estimator.version();
        positionsQuietUntil = quietUntil;
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
