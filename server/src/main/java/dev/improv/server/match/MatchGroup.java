package dev.improv.server.match;

import java.util.List;

/**
 * One matching decision: the served performer first, then its partners in the order they were chosen, and the
 * constraints that were relaxed to form the group.
 */
public record MatchGroup(List<WaitingPerformer> members, MatchRules.Relaxation relaxation) {
    public MatchGroup {
        members = List.copyOf(members);
    }

    public List<String> pids() {
        return members.stream().map(WaitingPerformer::id).toList();
    }
}
