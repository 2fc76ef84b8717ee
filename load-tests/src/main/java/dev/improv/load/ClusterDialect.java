package dev.improv.load;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.util.ArrayList;
import java.util.List;

/**
 * Our server as a cluster of nodes: room {@code i} is created on node {@code i % n} (so each node owns some rooms),
 * and member {@code k} of every room connects to node {@code k % n} — every room's members are spread over the
 * nodes, so that a share of every room's deliveries crosses the relay (issue 16's fan-out "with every room's
 * members spread over 2 nodes"). A member's path carries its node's port as {@code @PORT/ws/…} ({@link WsClients}).
 */
final class ClusterDialect implements Dialect {
    private final List<ImprovDialect> nodes = new ArrayList<>();
    private final int[] ports;

    ClusterDialect(String host, int[] ports, String adminKey) {
        this.ports = ports.clone();
        for (int port : ports) {
            nodes.add(new ImprovDialect(host, port, adminKey));
        }
    }

    @Override
    public String name() {
        return "improv-cluster";
    }

    @Override
    public List<Plan.Room> prepare(int rooms, Plan.Shape shape) throws Exception {
        int n = nodes.size();
        List<List<Plan.Room>> made = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            made.add(nodes.get(i).prepare((rooms - i + n - 1) / n, shape)); // rooms i, i + n, i + 2n, … on node i
        }
        List<Plan.Room> out = new ArrayList<>(rooms);
        for (int index = 0; index < rooms; index++) {
            Plan.Room r = made.get(index % n).get(index / n);
            List<Plan.Member> members = new ArrayList<>();
            for (Plan.Member m : r.members()) {
                members.add(new Plan.Member(index, m.index(), m.role(), m.peerId(),
                        "@" + ports[m.index() % n] + m.path()));
            }
            out.add(new Plan.Room(index, r.id(), members));
        }
        return out;
    }

    @Override
    public String metricsText() throws Exception {
        return nodes.get(0).metricsText();
    }

    @Override
    public Kind classify(Channel channel, Plan.Member member, ByteBuf text) {
        return nodes.get(0).classify(channel, member, text);
    }

    @Override
    public String signal(Plan.Member to, long key, int bytes) {
        return nodes.get(0).signal(to, key, bytes);
    }

    @Override
    public boolean echoesToSender() {
        return true;
    }
}
