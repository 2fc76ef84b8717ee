package dev.improv.server.dataset;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;

/**
 * One Parquet table written with parquet-java (no Hadoop file system: a {@link LocalOutputFile}, plain
 * configuration, uncompressed — the codecs would pull in native libraries for tables of a few kilobytes). Columns
 * are strings, 64-bit integers, doubles or booleans, each optional (null allowed). Rows are streamed to the writer.
 */
final class ParquetTable implements AutoCloseable {
    enum Kind { STRING, LONG, DOUBLE, BOOLEAN }

    record Column(String name, Kind kind) {
    }

    static Column string(String name) {
        return new Column(name, Kind.STRING);
    }

    static Column int64(String name) {
        return new Column(name, Kind.LONG);
    }

    static Column float64(String name) {
        return new Column(name, Kind.DOUBLE);
    }

    static Column bool(String name) {
        return new Column(name, Kind.BOOLEAN);
    }

    private final List<Column> columns;
    private final SimpleGroupFactory groups;
    private final ParquetWriter<Group> writer;
    private long rows;

    ParquetTable(Path file, String name, List<Column> columns) throws IOException {
        this.columns = List.copyOf(columns);
        List<Type> fields = new ArrayList<>();
        for (Column c : columns) {
            fields.add(switch (c.kind()) {
                case STRING -> Types.optional(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType())
                        .named(c.name());
                case LONG -> Types.optional(PrimitiveTypeName.INT64).named(c.name());
                case DOUBLE -> Types.optional(PrimitiveTypeName.DOUBLE).named(c.name());
                case BOOLEAN -> Types.optional(PrimitiveTypeName.BOOLEAN).named(c.name());
            });
        }
        MessageType schema = new MessageType(name, fields);
        this.groups = new SimpleGroupFactory(schema);
        this.writer = ExampleParquetWriter.builder(new LocalOutputFile(file))
                .withConf(new PlainParquetConfiguration()).withType(schema)
                .withCompressionCodec(CompressionCodecName.UNCOMPRESSED).build();
    }

    /** One row, values in column order (String, Long/Integer, Double, Boolean or null). */
    void row(Object... values) throws IOException {
        if (values.length != columns.size()) {
            throw new IllegalArgumentException(values.length + " values for " + columns.size() + " columns");
        }
        Group g = groups.newGroup();
        for (int i = 0; i < values.length; i++) {
            Object v = values[i];
            if (v == null) {
                continue;
            }
            String n = columns.get(i).name();
            switch (columns.get(i).kind()) {
                case STRING -> g.append(n, v.toString());
                case LONG -> g.append(n, ((Number) v).longValue());
                case DOUBLE -> g.append(n, ((Number) v).doubleValue());
                case BOOLEAN -> g.append(n, (Boolean) v);
            }
        }
        writer.write(g);
        rows++;
    }

    long rows() {
        return rows;
    }

    List<Column> columns() {
        return columns;
    }

    @Override
    public void close() throws IOException {
        writer.close();
    }
}
