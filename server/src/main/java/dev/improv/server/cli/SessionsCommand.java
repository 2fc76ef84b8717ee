package dev.improv.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code sessions list|show}: the session logs on the server's disk. */
@Command(name = "sessions", description = "Session logs on the server: list, show.", mixinStandardHelpOptions = true,
        subcommands = {SessionsCommand.ListSessions.class, SessionsCommand.Show.class})
final class SessionsCommand {
    @Command(name = "list", description = "List the sessions, open and closed.", mixinStandardHelpOptions = true)
    static final class ListSessions extends AdminCommand {

        @Override
        public Integer call() {
            JsonNode answer = client().get("/api/sessions");
            Printer p = printer();
            if (p.jsonIfAsked(answer)) {
                return 0;
            }
            if (answer.path("sessions").isEmpty()) {
                p.line("no sessions");
                return 0;
            }
            List<List<String>> rows = new ArrayList<>();
            for (JsonNode s : answer.path("sessions")) {
                rows.add(List.of(s.path("id").asText(), s.path("roomName").asText("-"),
                        Printer.micros(s.get("startedAt")), Printer.micros(s.get("endedAt"))));
            }
            p.table(List.of("SESSION", "ROOM", "STARTED", "ENDED"), rows);
            return 0;
        }
    }

    @Command(name = "show", description = "Show a session's participants and scenes.", mixinStandardHelpOptions = true)
    static final class Show extends AdminCommand {
        @Parameters(paramLabel = "SESSION", description = "The session id.")
        String id;

        @Override
        public Integer call() {
            JsonNode meta = client().get("/api/sessions/" + PathSegment.of(id, "session"));
            Printer p = printer();
            if (p.jsonIfAsked(meta)) {
                return 0;
            }
            p.line("session " + meta.path("sessionId").asText() + " of room " + meta.path("roomId").asText("-")
                    + " \"" + meta.path("roomName").asText("") + "\", started " + Printer.micros(meta.get("startedAt"))
                    + ", ended " + Printer.micros(meta.get("endedAt")));
            List<List<String>> rows = new ArrayList<>();
            for (JsonNode m : meta.path("participants")) {
                rows.add(List.of(m.path("id").asText(), m.path("role").asText(), m.path("name").asText()));
            }
            p.table(List.of("PARTICIPANT", "ROLE", "NAME"), rows);
            p.line(meta.path("scenes").size() + " scenes");
            return 0;
        }
    }
}
