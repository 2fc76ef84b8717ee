package dev.improv.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code pools list|open|show|time}: lobby pools (open calls). */
@Command(name = "pools", description = "Lobby pools (open calls): list, open, show, time accounting.",
        mixinStandardHelpOptions = true, subcommands = {PoolsCommand.ListPools.class, PoolsCommand.Open.class,
                PoolsCommand.Show.class, PoolsCommand.Time.class})
final class PoolsCommand {
    @Command(name = "list", description = "List the open pools.", mixinStandardHelpOptions = true)
    static final class ListPools extends AdminCommand {

        @Override
        public Integer call() {
            JsonNode answer = client().get("/api/pools");
            Printer p = printer();
            if (p.jsonIfAsked(answer)) {
                return 0;
            }
            if (answer.path("pools").isEmpty()) {
                p.line("no open pools");
                return 0;
            }
            List<List<String>> rows = new ArrayList<>();
            for (JsonNode pool : answer.path("pools")) {
                rows.add(row(pool));
            }
            p.table(HEADER, rows);
            return 0;
        }
    }

    static final List<String> HEADER = List.of("POOL", "CONSENT", "WAITING", "OFFERS", "CONNECTED", "ROOMS");

    static List<String> row(JsonNode pool) {
        return List.of(pool.path("pool").asText(), "v" + pool.path("consentVersion").asText(),
                pool.path("waiting").asText(), pool.path("offers").asText(), pool.path("connected").asText(),
                Integer.toString(pool.path("rooms").size()));
    }

    @Command(name = "open", description = "Open a pool and print its moderator's lobby link.",
            mixinStandardHelpOptions = true)
    static final class Open extends AdminCommand {
        @Parameters(paramLabel = "POOL", description = "Pool id: 1-40 of a-z, 0-9 and '-'.")
        String id;
        @Option(names = "--consent-version", required = true, description = "Version of the consent text (>= 1).")
        int consentVersion;
        @Option(names = "--consent-file", required = true, description = "File with the consent text performers "
                + "accept (UTF-8).")
        Path consentFile;
        @Option(names = "--room-size", description = "Performers per matched room (2-8).")
        Integer roomSize;
        @Option(names = "--require-moderator", description = "Match only when a moderator is free.")
        boolean requireModerator;

        @Override
        public Integer call() {
            String text;
            try {
                text = Files.readString(consentFile, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new CliFailure(CliFailure.USAGE, "cannot read the consent file " + consentFile + ": "
                        + e.getMessage());
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("id", id);
            body.put("consentVersion", consentVersion);
            body.put("consentText", text);
            if (roomSize != null) {
                body.put("roomSize", roomSize);
            }
            if (requireModerator) {
                body.put("requireModerator", true);
            }
            JsonNode opened = client().post("/api/pools", body);
            Printer p = printer();
            if (!p.jsonIfAsked(opened)) {
                p.line("pool " + opened.path("pool").path("pool").asText() + " open");
                p.links(opened.path("links"));
            }
            return 0;
        }
    }

    @Command(name = "show", description = "Show one pool.", mixinStandardHelpOptions = true)
    static final class Show extends AdminCommand {
        @Parameters(paramLabel = "POOL", description = "The pool id.")
        String id;

        @Override
        public Integer call() {
            JsonNode pool = client().get("/api/pools/" + PathSegment.of(id, "pool"));
            Printer p = printer();
            if (!p.jsonIfAsked(pool)) {
                p.table(HEADER, List.of(row(pool)));
                for (JsonNode r : pool.path("rooms")) {
                    p.line("  room " + r.path("roomId").asText() + ": " + r.path("performers").size()
                            + " performers, moderator " + r.path("moderator").asText("-"));
                }
            }
            return 0;
        }
    }

    @Command(name = "time", description = "Time accounting of a pool's performers (what they are paid for), in "
            + "seconds.", mixinStandardHelpOptions = true)
    static final class Time extends AdminCommand {
        @Parameters(paramLabel = "POOL", description = "The pool id.")
        String id;
        @Option(names = "--performer", description = "Only this participant id.")
        String performer;

        @Override
        public Integer call() {
            String base = "/api/pools/" + PathSegment.of(id, "pool");
            AdminClient client = client();
            JsonNode answer = performer == null ? client.get(base + "/time")
                    : client.get(base + "/performers/" + PathSegment.of(performer, "performer") + "/time");
            Printer p = printer();
            if (p.jsonIfAsked(answer)) {
                return 0;
            }
            List<List<String>> rows = new ArrayList<>();
            Iterable<JsonNode> times = performer == null ? answer.path("performers") : List.of(answer);
            for (JsonNode t : times) {
                rows.add(List.of(t.path("pid").asText(), seconds(t.path("lobbyMs")), seconds(t.path("offerMs")),
                        seconds(t.path("sceneMs")), t.path("scenesCompleted").asText()));
            }
            p.table(List.of("PERFORMER", "LOBBY_S", "OFFER_S", "SCENE_S", "SCENES"), rows);
            return 0;
        }

        private static String seconds(JsonNode ms) {
            return String.format(java.util.Locale.ROOT, "%.1f", ms.asLong() / 1000.0);
        }
    }
}
