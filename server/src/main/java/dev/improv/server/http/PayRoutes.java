package dev.improv.server.http;

import dev.improv.server.match.TimeAccounting;
import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.routing.Router;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Pay statements (docs/dataset.md, "Pay statements"): per performer, pool and UTC day, lobby, offer and scene time
 * and scenes completed, from the pool's time accounting — the durable facts of the write-ahead log, so a restart
 * gives the same statement. JSON at {@code /api/pools/{id}/pay}, CSV at {@code /api/pools/{id}/pay.csv}; both take
 * {@code from}, {@code to} (UTC dates, inclusive) and {@code performer}. Computed on the pool's own thread.
 */
public final class PayRoutes {
    static final String CSV = "text/csv; charset=utf-8";
    static final String CSV_HEADER = "pool,performer,day,lobby_ms,offer_ms,scene_ms,scenes_completed";
    private final Router router;
    private final dev.improv.server.auth.TokenService tokens;

    public PayRoutes(Router router, dev.improv.server.auth.TokenService tokens) {
        this.router = router;
        this.tokens = tokens;
    }

    /** One performer's totals over the statement's days. */
    public record PayTotal(String pid, long lobbyMs, long offerMs, long sceneMs, int scenesCompleted) {
    }

    /** {@code GET /api/pools/{id}/pay}: the day lines and each performer's totals over them. */
    public record PayStatement(String pool, String from, String to, List<TimeAccounting.DayTime> days,
                               List<PayTotal> totals) {
    }

    public List<Route> routes() {
        String filters = "Query: from, to (UTC dates yyyy-mm-dd, inclusive), performer (one participant id).";
        return List.of(
                Route.get("/api/pools/{id}/pay", Route.Access.ADMIN, ex -> statement(ex, s -> ex.json(
                        HttpResponseStatus.OK, s)))
                        .documented(ApiDoc.of("A pool's pay statement: per performer and UTC day, lobby, offer and "
                                        + "scene time and scenes completed")
                                .describe("From the pool's durable time accounting; equal to /time summed over the "
                                        + "days. " + filters)
                                .query("from", false, "first UTC day, yyyy-mm-dd")
                                .query("to", false, "last UTC day, yyyy-mm-dd")
                                .query("performer", false, "only this participant id")
                                .answers(200, "the statement", PayStatement.class)
                                .fails(400, "a bad date or an empty range").fails(404, "no such pool")),
                Route.get("/api/pools/{id}/pay.csv", Route.Access.ADMIN, ex -> statement(ex, s -> ex.bytes(
                        HttpResponseStatus.OK, CSV, csv(s).getBytes(StandardCharsets.UTF_8))))
                        .documented(ApiDoc.of("The same pay statement as CSV, one line per performer and day")
                                .describe("Columns: " + CSV_HEADER + ". " + filters)
                                .query("from", false, "first UTC day, yyyy-mm-dd")
                                .query("to", false, "last UTC day, yyyy-mm-dd")
                                .query("performer", false, "only this participant id")
                                .answers(200, "CSV with a header line", new ApiDoc.Text(CSV))
                                .fails(400, "a bad date or an empty range").fails(404, "no such pool")),
                Route.get("/api/pay/mine", Route.Access.PUBLIC, this::mine)
                        .documented(ApiDoc.of("A performer's own pay statement in their pool, per UTC day")
                                .query("token", true, "the performer's lobby link token")
                                .answers(200, "the performer's lines and total", PayStatement.class)
                                .fails(401, "no or a bad token").fails(403, "not a performer's lobby token")
                                .fails(404, "the pool is closed")));
    }

    /** The performer of a lobby token sees only their own lines. */
    private void mine(HttpExchange ex) {
        dev.improv.server.auth.JoinClaims claims = ex.joinToken(tokens);
        if (claims.pool() == null || claims.role() != dev.improv.server.protocol.Role.PERFORMER) {
            throw new ApiError.Failure(HttpResponseStatus.FORBIDDEN, ApiError.of(ErrorCode.NOT_AUTHORIZED, "token",
                    "a pay statement is read with a performer's lobby link"));
        }
        ex.reply(router.poolDays(claims.pool()), days -> ex.json(HttpResponseStatus.OK, build(claims.pool(),
                days.orElseThrow(() -> new ApiError.Failure(HttpResponseStatus.NOT_FOUND, ApiError.of(
                        ErrorCode.POOL_NOT_FOUND, "token", "the pool of this link is closed"))), null, null,
                claims.pid())));
    }

    private void statement(HttpExchange ex, java.util.function.Consumer<PayStatement> answer) {
        String pool = ex.param("id");
        LocalDate from = date(ex, "from");
        LocalDate to = date(ex, "to");
        if (from != null && to != null && from.isAfter(to)) {
            throw ApiError.invalid("from", "the date range is empty: from " + from + " is after to " + to);
        }
        String performer = ex.query("performer");
        ex.reply(router.poolDays(pool), days -> answer.accept(build(pool, days.orElseThrow(() -> new ApiError.Failure(
                HttpResponseStatus.NOT_FOUND, ApiError.of(ErrorCode.POOL_NOT_FOUND, "id", "no open pool '"
                        + RoomRoutes.clip(pool) + "'"))), from, to, performer)));
    }

    static PayStatement build(String pool, List<TimeAccounting.DayTime> all, LocalDate from, LocalDate to,
                              String performer) {
        List<TimeAccounting.DayTime> days = new ArrayList<>();
        Map<String, long[]> totals = new LinkedHashMap<>();
        for (TimeAccounting.DayTime d : all) {
            LocalDate day = LocalDate.parse(d.day());
            if ((from != null && day.isBefore(from)) || (to != null && day.isAfter(to))
                    || (performer != null && !performer.equals(d.pid()))) {
                continue;
            }
            days.add(d);
            long[] t = totals.computeIfAbsent(d.pid(), k -> new long[4]);
            t[0] += d.lobbyMs();
            t[1] += d.offerMs();
            t[2] += d.sceneMs();
            t[3] += d.scenesCompleted();
        }
        List<PayTotal> out = new ArrayList<>();
        totals.forEach((pid, t) -> out.add(new PayTotal(pid, t[0], t[1], t[2], (int) t[3])));
        return new PayStatement(pool, from == null ? null : from.toString(), to == null ? null : to.toString(), days,
                out);
    }

    static String csv(PayStatement s) {
        StringBuilder b = new StringBuilder(CSV_HEADER).append("\r\n");
        for (TimeAccounting.DayTime d : s.days()) {
            b.append(field(s.pool())).append(',').append(field(d.pid())).append(',').append(d.day()).append(',')
                    .append(d.lobbyMs()).append(',').append(d.offerMs()).append(',').append(d.sceneMs()).append(',')
                    .append(d.scenesCompleted()).append("\r\n");
        }
        return b.toString();
    }

    /** RFC 4180 quoting; a leading =, +, - or @ is prefixed with ' so that a spreadsheet does not run it. */
    static String field(String v) {
        String s = v == null ? "" : v;
        if (!s.isEmpty() && "=+-@".indexOf(s.charAt(0)) >= 0) {
            s = "'" + s;
        }
        return s.matches("[A-Za-z0-9._' -]*") ? s : "\"" + s.replace("\"", "\"\"") + "\"";
    }

    private static LocalDate date(HttpExchange ex, String name) {
        String v = ex.query(name);
        try {
            return Optional.ofNullable(v).map(LocalDate::parse).orElse(null);
        } catch (DateTimeParseException e) {
            throw ApiError.invalid(name, "a UTC date as yyyy-mm-dd, not '" + v + "'");
        }
    }
}
