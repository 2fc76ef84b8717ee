package dev.improv.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code rooms create|list|show|close}. */
@Command(name = "rooms", description = "Open, list, show and close rooms.", mixinStandardHelpOptions = true,
        subcommands = {RoomsCommand.Create.class, RoomsCommand.ListRooms.class, RoomsCommand.Show.class,
                RoomsCommand.Close.class})
final class RoomsCommand {
    @Command(name = "create", description = "Open a room and print its join links.", mixinStandardHelpOptions = true)
    static final class Create extends AdminCommand {

        @Option(names = "--name", description = "Room name (at most 80 characters).")
        String name;
        @Option(names = "--performers", description = "Performer links: a count or names, comma separated "
                + "(default 2).", split = ",")
        List<String> performers;
        @Option(names = "--moderators", description = "Moderator links: a count or names (default 1).", split = ",")
        List<String> moderators;
        @Option(names = "--recorders", description = "Recorder links: a count or names (default 1).", split = ",")
        List<String> recorders;
        @Option(names = "--observers", description = "Observer links: a count or names (default 1).", split = ",")
        List<String> observers;
        @Option(names = "--max-performers", description = "Performers this room admits.")
        Integer maxPerformers;
        @Option(names = "--ttl-seconds", description = "Link lifetime (default: the server's).")
        Long ttlSeconds;
        @Option(names = "--record-media", description = "Start the server's media recorder for this room.")
        boolean recordMedia;

        @Override
        public Integer call() {
            Map<String, Object> body = new LinkedHashMap<>();
            if (name != null) {
                body.put("name", name);
            }
            role(body, "performers", performers);
            role(body, "moderators", moderators);
            role(body, "recorders", recorders);
            role(body, "observers", observers);
            if (maxPerformers != null) {
                body.put("maxPerformers", maxPerformers);
            }
            if (ttlSeconds != null) {
                body.put("ttlSeconds", ttlSeconds);
            }
            if (recordMedia) {
                body.put("recordMedia", true);
            }
            JsonNode created = client().post("/api/rooms", body);
            Printer p = printer();
            if (!p.jsonIfAsked(created)) {
                JsonNode room = created.path("room");
                p.line("room " + room.path("id").asText() + " \"" + room.path("name").asText() + "\" open (session "
                        + room.path("sessionId").asText() + ")" + (created.has("media")
                        ? ", media: " + created.path("media").asText() : ""));
                p.links(created.path("links"));
            }
            return 0;
        }

        /** A role option is one count ("3") or names ("Ana,Ben"). */
        private static void role(Map<String, Object> body, String field, List<String> values) {
            if (values == null || values.isEmpty()) {
                return;
            }
            if (values.size() == 1 && values.get(0).matches("\\d{1,4}")) {
                body.put(field, Integer.parseInt(values.get(0)));
            } else {
                body.put(field, values);
            }
        }
    }

    @Command(name = "list", description = "List the open rooms.", mixinStandardHelpOptions = true)
    static final class ListRooms extends AdminCommand {

        @Override
        public Integer call() {
            JsonNode answer = client().get("/api/rooms");
            Printer p = printer();
            if (p.jsonIfAsked(answer)) {
                return 0;
            }
            if (answer.path("rooms").isEmpty()) {
                p.line("no open rooms");
                return 0;
            }
            List<List<String>> rows = new ArrayList<>();
            for (JsonNode r : answer.path("rooms")) {
                rows.add(List.of(r.path("id").asText(), r.path("name").asText(),
                        r.path("connected").asText() + "/" + r.path("members").asText(),
                        r.path("sceneActive").asBoolean() ? "scene " + r.path("scene").asText() : "-",
                        r.path("sessionId").asText()));
            }
            p.table(List.of("ROOM", "NAME", "CONNECTED/MEMBERS", "SCENE", "SESSION"), rows);
            return 0;
        }
    }

    @Command(name = "show", description = "Show one room and its roster.", mixinStandardHelpOptions = true)
    static final class Show extends AdminCommand {
        @Parameters(paramLabel = "ROOM", description = "The room id.")
        String room;

        @Override
        public Integer call() {
            JsonNode r = client().get("/api/rooms/" + PathSegment.of(room, "room"));
            Printer p = printer();
            if (!p.jsonIfAsked(r)) {
                p.line("room " + r.path("id").asText() + " \"" + r.path("name").asText() + "\", session "
                        + r.path("sessionId").asText() + ", last seq " + r.path("lastSeq").asText()
                        + (r.path("locked").asBoolean() ? ", locked" : ""));
                List<List<String>> rows = new ArrayList<>();
                for (JsonNode m : r.path("roster")) {
                    rows.add(List.of(m.path("id").asText(), m.path("role").asText(), m.path("name").asText(),
                            m.path("connected").asBoolean() ? "connected" : "away"));
                }
                p.table(List.of("PARTICIPANT", "ROLE", "NAME", "STATE"), rows);
            }
            return 0;
        }
    }

    @Command(name = "close", description = "Close a room: members are told and disconnected.",
            mixinStandardHelpOptions = true)
    static final class Close extends AdminCommand {
        @Parameters(paramLabel = "ROOM", description = "The room id.")
        String room;

        @Override
        public Integer call() {
            JsonNode answer = client().delete("/api/rooms/" + PathSegment.of(room, "room"));
            Printer p = printer();
            if (!p.jsonIfAsked(answer)) {
                p.line("room " + answer.path("closed").asText() + " closed");
            }
            return 0;
        }
    }
}
