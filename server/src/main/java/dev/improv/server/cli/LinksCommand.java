package dev.improv.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code links --room ID | --pool ID --role R}: one more join link (the whole link: URL and token). */
@Command(name = "links", description = "Issue one more join link for an open room or a lobby pool.",
        mixinStandardHelpOptions = true)
final class LinksCommand extends AdminCommand {
    @ArgGroup(multiplicity = "1")
    Target target;
    @Option(names = "--role", required = true, description = "performer, moderator, recorder or observer (pools: "
            + "performer or moderator).")
    String role;
    @Option(names = "--name", description = "Display name (default: role and a part of the id).")
    String name;
    @Option(names = "--ttl-seconds", description = "Link lifetime (default: the server's).")
    Long ttlSeconds;

    /** A room or a pool, exactly one. */
    static final class Target {
        @Option(names = "--room", description = "The room id.")
        String room;
        @Option(names = "--pool", description = "The pool id.")
        String pool;

        String path() {
            return room != null ? "/api/rooms/" + PathSegment.of(room, "room") + "/links"
                    : "/api/pools/" + PathSegment.of(pool, "pool") + "/links";
        }
    }

    /** The link answer of the server, shared with {@code tokens mint}. */
    static JsonNode issue(ConnectionOptions connection, Target target, String role, String name, Long ttlSeconds) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("role", role);
        if (name != null) {
            body.put("name", name);
        }
        if (ttlSeconds != null) {
            body.put("ttlSeconds", ttlSeconds);
        }
        return AdminClient.from(connection).post(target.path(), body);
    }

    @Override
    public Integer call() {
        JsonNode link = issue(connection, target, role, name, ttlSeconds);
        Printer p = printer();
        if (!p.jsonIfAsked(link)) {
            p.links(com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.arrayNode().add(link));
        }
        return 0;
    }
}
