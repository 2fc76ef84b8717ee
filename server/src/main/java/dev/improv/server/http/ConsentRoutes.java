package dev.improv.server.http;

import dev.improv.server.auth.JoinClaims;
import dev.improv.server.auth.TokenService;
import dev.improv.server.dataset.ConsentScope;
import dev.improv.server.dataset.ConsentTexts;
import dev.improv.server.dataset.Withdrawals;
import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.protocol.Role;
import dev.improv.server.routing.Router;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.function.LongSupplier;

/**
 * Consent as a lifecycle (docs/dataset.md, "Consent"): the admin stores versioned consent texts with their scopes and
 * records withdrawals; a performer, with their lobby link's token, reads what they agreed to and withdraws. Every
 * withdrawal is appended and forced to the consent log before it is answered. File work runs on {@code disk},
 * never on the I/O thread.
 */
public final class ConsentRoutes {
    private final ConsentTexts texts;
    private final Withdrawals withdrawals;
    private final TokenService tokens;
    private final Router router;
    private final Executor disk;
    private final LongSupplier clock;
    /** Tells the webhooks about a withdrawal; completes once that is durable. */
    private final java.util.function.Function<Withdrawals.Withdrawal, java.util.concurrent.CompletionStage<?>> announce;

    public ConsentRoutes(ConsentTexts texts, Withdrawals withdrawals, TokenService tokens, Router router, Executor disk,
                         LongSupplier clock) {
        this(texts, withdrawals, tokens, router, disk, clock,
                w -> java.util.concurrent.CompletableFuture.completedFuture(null));
    }

    /** With {@code announce} told about each withdrawal once it is forced; the answer waits for its stage. */
    public ConsentRoutes(ConsentTexts texts, Withdrawals withdrawals, TokenService tokens, Router router, Executor disk,
                         LongSupplier clock,
                         java.util.function.Function<Withdrawals.Withdrawal, java.util.concurrent.CompletionStage<?>>
                                 announce) {
        this.announce = announce;
        this.texts = texts;
        this.withdrawals = withdrawals;
        this.tokens = tokens;
        this.router = router;
        this.disk = disk;
        this.clock = clock;
    }

    /** {@code POST /api/consent/texts}. */
    public record NewText(Integer version, String text, List<String> scopes, String onWithdrawal) {
    }

    /** {@code POST /api/consent/withdrawals} (admin: {@code pid} required) and {@code …/mine/withdrawals}. */
    public record NewWithdrawal(String pid, List<String> scopes, String reason) {
    }

    public record TextList(List<ConsentTexts.ConsentText> texts) {
    }

    public record WithdrawalList(List<Withdrawals.Withdrawal> withdrawals) {
    }

    /** What a performer sees: the pool's consent version, its text and scopes, and their withdrawals. */
    public record MyConsent(String pid, String pool, Integer consentVersion, ConsentTexts.ConsentText text,
                            List<Withdrawals.Withdrawal> withdrawals) {
    }

    public List<Route> routes() {
        return List.of(
                Route.get("/api/consent/texts", Route.Access.ADMIN, ex -> onDisk(ex, () -> ex.json(HttpResponseStatus.OK,
                        new TextList(texts.list()))))
                        .documented(ApiDoc.of("The versioned consent texts with their scopes")
                                .answers(200, "every version", TextList.class)),
                Route.post("/api/consent/texts", Route.Access.ADMIN, ex -> {
                    NewText body = ex.body(NewText.class);
                    if (body.version() == null) {
                        throw ApiError.invalid("version", "required: a whole number from 1");
                    }
                    ConsentTexts.ConsentText text = text(body);
                    onDisk(ex, () -> {
                        try {
                            boolean created = texts.put(text);
                            ex.json(created ? HttpResponseStatus.CREATED : HttpResponseStatus.OK, text);
                        } catch (IllegalStateException e) {
                            ex.error(HttpResponseStatus.CONFLICT, new ApiError("CONSENT_VERSION_EXISTS", "version",
                                    e.getMessage()));
                        }
                    });
                }).documented(ApiDoc.of("Store a consent text under a new version, with its scopes")
                        .describe("Versions are immutable: the same text again answers 200, another text under a stored "
                                + "version 409. Scopes: " + ConsentScope.names() + ". onWithdrawal: 'tracks' (only the "
                                + "performer's files leave later exports) or 'interaction' (the whole take does).")
                        .body(NewText.class, "version", "text")
                        .answers(201, "stored", ConsentTexts.ConsentText.class)
                        .answers(200, "already stored, identical", ConsentTexts.ConsentText.class)
                        .fails(400, "a field is wrong").fails(409, "the version exists with another text")),
                Route.get("/api/consent/withdrawals", Route.Access.ADMIN, ex -> onDisk(ex, () -> ex.json(
                        HttpResponseStatus.OK, new WithdrawalList(withdrawals.all()))))
                        .documented(ApiDoc.of("Every consent withdrawal, oldest first (the list every export ships)")
                                .answers(200, "the withdrawals", WithdrawalList.class)),
                Route.post("/api/consent/withdrawals", Route.Access.ADMIN, ex -> {
                    NewWithdrawal body = ex.body(NewWithdrawal.class);
                    if (body.pid() == null || body.pid().isEmpty()) {
                        throw ApiError.invalid("pid", "required: the performer's participant id");
                    }
                    withdraw(ex, body.pid(), body, "admin");
                }).documented(ApiDoc.of("Record a performer's withdrawal of consent (all scopes when none are named)")
                        .describe("Forced to the consent log before the answer; later exports leave the performer out.")
                        .body(NewWithdrawal.class, "pid")
                        .answers(201, "recorded", Withdrawals.Withdrawal.class).fails(400, "a field is wrong")
                        .fails(409, "the participant has recorded the most withdrawals one may (16)")),
                Route.get("/api/consent/mine", Route.Access.PUBLIC, ex -> {
                    JoinClaims claims = performer(ex);
                    ex.reply(router.pool(claims.pool()), pool -> onDisk(ex, () -> {
                        Integer version = pool.map(p -> p.consentVersion()).orElse(null);
                        Optional<ConsentTexts.ConsentText> text = version == null ? Optional.empty() : texts.get(version);
                        ex.json(HttpResponseStatus.OK, new MyConsent(claims.pid(), claims.pool(), version,
                                text.orElse(null), withdrawals.of(claims.pid())));
                    }));
                }).documented(ApiDoc.of("A performer's consent: the pool's version, its text and scopes, their "
                                + "withdrawals")
                        .query("token", true, "the performer's lobby link token")
                        .answers(200, "what the performer agreed to", MyConsent.class)
                        .fails(401, "no or a bad token").fails(403, "not a performer's lobby token")),
                Route.post("/api/consent/mine/withdrawals", Route.Access.PUBLIC, ex -> {
                    JoinClaims claims = performer(ex);
                    NewWithdrawal body = ex.body(NewWithdrawal.class);
                    if (body.pid() != null && !body.pid().equals(claims.pid())) {
                        throw ApiError.invalid("pid", "a performer withdraws only their own consent");
                    }
                    withdraw(ex, claims.pid(), body, "performer");
                }).documented(ApiDoc.of("A performer withdraws their consent (all scopes when none are named)")
                        .query("token", true, "the performer's lobby link token")
                        .body(NewWithdrawal.class)
                        .answers(201, "recorded", Withdrawals.Withdrawal.class)
                        .fails(400, "a field is wrong").fails(401, "no or a bad token")
                        .fails(409, "the most withdrawals one participant may (16) are recorded")
                        .fails(403, "not a performer's lobby token")));
    }

    private JoinClaims performer(HttpExchange ex) {
        JoinClaims claims = ex.joinToken(tokens);
        if (claims.pool() == null || claims.role() != Role.PERFORMER) {
            throw new ApiError.Failure(HttpResponseStatus.FORBIDDEN, ApiError.of(ErrorCode.NOT_AUTHORIZED, "token",
                    "consent is read and withdrawn with a performer's lobby link"));
        }
        return claims;
    }

    private void withdraw(HttpExchange ex, String pid, NewWithdrawal body, String via) {
        Set<ConsentScope> scopes;
        try {
            scopes = ConsentScope.parseAll(body.scopes() == null ? List.of() : body.scopes());
        } catch (IllegalArgumentException e) {
            throw ApiError.invalid("scopes", e.getMessage());
        }
        if (body.reason() != null && body.reason().length() > Withdrawals.MAX_REASON_CHARS) {
            throw ApiError.invalid("reason", "at most " + Withdrawals.MAX_REASON_CHARS + " characters");
        }
        if (pid.length() > 128) {
            throw ApiError.invalid("pid", "at most 128 characters");
        }
        onDisk(ex, () -> {
            try {
                Withdrawals.Withdrawal w = withdrawals.withdraw(pid, scopes, via, body.reason(), clock.getAsLong());
                // answered once its webhook event is durable too (consent.withdrawn): a crash loses neither
                announce.apply(w).whenComplete((ok, failed) -> ex.json(HttpResponseStatus.CREATED, w));
            } catch (IllegalStateException e) {
                ex.error(HttpResponseStatus.CONFLICT, new ApiError("WITHDRAWAL_LIMIT", "pid", e.getMessage()));
            }
        });
    }

    private static ConsentTexts.ConsentText text(NewText body) {
        try {
            return new ConsentTexts.ConsentText(body.version(), body.text(), body.scopes(), body.onWithdrawal(), 0);
        } catch (IllegalArgumentException e) {
            String m = e.getMessage();
            int colon = m.indexOf(':');
            String field = m.startsWith("unknown consent scope") ? "scopes" : colon > 0 ? m.substring(0, colon) : null;
            throw ApiError.invalid(field, m);
        }
    }

    private void onDisk(HttpExchange ex, DiskWork work) {
        DiskWork.offThread(ex, disk, work);
    }
}
