/**
 * Signed webhooks with a durable outbox. Rooms' journal calls become events ({@code WebhookJournal}, on the room
 * thread: a prefix check and a non-blocking offer); one writer thread ({@code webhook-outbox}) appends them to
 * {@code <data-dir>/webhooks/outbox.jsonl} and fsyncs before anything is sent; one dispatch thread
 * ({@code webhook-dispatch}) sends each endpoint's deliveries in order through {@code java.net.http.HttpClient}
 * on its own threads, signed the Standard Webhooks way, retried with backoff, at least once.
 */
package dev.improv.server.webhook;
