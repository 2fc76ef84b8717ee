/**
 * The HTTP end of local takes: the chunk upload, the take status for the console and the stage consent routes.
 * Handlers run on the I/O thread only long enough to read the token and the parameters; everything else is
 * handed to {@link dev.improv.server.take.Takes} and answered from its thread.
 */
package dev.improv.server.take.http;
