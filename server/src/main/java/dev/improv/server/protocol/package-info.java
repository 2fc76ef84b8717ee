/**
 * The wire protocol: JSON text frames with a {@code type} field, modelled as records under two sealed
 * interfaces, {@link dev.improv.server.protocol.ClientMessage} and {@link dev.improv.server.protocol.ServerMessage}.
 * {@link dev.improv.server.protocol.ProtocolCodec} owns the single, strictly configured {@code ObjectMapper}.
 * Everything here is immutable and thread-safe; nothing here imports Netty.
 */
package dev.improv.server.protocol;
