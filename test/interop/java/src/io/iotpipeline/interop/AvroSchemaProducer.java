package io.iotpipeline.interop;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import org.apache.pulsar.client.api.AuthenticationFactory;
import org.apache.pulsar.client.api.ClientBuilder;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.Schema;
import org.apache.pulsar.client.api.schema.GenericRecord;
import org.apache.pulsar.client.api.schema.GenericRecordBuilder;
import org.apache.pulsar.client.api.schema.GenericSchema;
import org.apache.pulsar.common.schema.SchemaInfo;
import org.apache.pulsar.common.schema.SchemaType;

/**
 * A device that uses the Java client's AVRO schema support: the producer registers its writer
 * schema with the topic's schema registry and every message carries that schema's version
 * (test/interop/ingest-schema-registry.test.ts).
 *
 * <pre>
 * SERVICE_URL TOPIC SCHEMA_FILE FIRST_SENSOR_ID COUNT TIMESTAMP_MS
 * </pre>
 *
 * Readings: sensorId FIRST..FIRST+COUNT-1, sensorType 1, temperature 20 + i, humidity 40,
 * pressure 1000, batteryLevel 80, status 1; `timestamp` (when the schema has it) TIMESTAMP_MS + i;
 * `firmware` (when the schema has it) "fw-" + i. Prints one JSON line when all are persisted.
 */
public final class AvroSchemaProducer {
  private AvroSchemaProducer() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 6) {
      System.err.println("usage: SERVICE_URL TOPIC SCHEMA_FILE FIRST_SENSOR_ID COUNT TIMESTAMP_MS");
      System.exit(2);
    }
    String json = Files.readString(Path.of(args[2]), StandardCharsets.UTF_8);
    int first = Integer.parseInt(args[3]);
    int count = Integer.parseInt(args[4]);
    long timestamp = Long.parseLong(args[5]);
    GenericSchema<GenericRecord> schema =
        Schema.generic(
            SchemaInfo.builder()
                .name("SensorData")
                .type(SchemaType.AVRO)
                .schema(json.getBytes(StandardCharsets.UTF_8))
                .properties(new HashMap<>())
                .build());
    // The field names alone decide what is set; the schemas are the test's own files.
    boolean hasTimestamp = json.contains("\"timestamp\"");
    boolean hasFirmware = json.contains("\"firmware\"");
    // The broker authenticates every client: the token comes from the environment.
    ClientBuilder builder = PulsarClient.builder().serviceUrl(args[0]);
    String token = System.getenv("PULSAR_AUTH_TOKEN");
    if (token != null && !token.isEmpty()) builder.authentication(AuthenticationFactory.token(token));
    try (PulsarClient client = builder.build();
        Producer<GenericRecord> producer =
            client.newProducer(schema).topic(args[1]).enableBatching(false).create()) {
      MessageId last = null;
      for (int i = 0; i < count; i++) {
        GenericRecordBuilder b =
            schema
                .newRecordBuilder()
                .set("sensorId", first + i)
                .set("sensorType", 1)
                .set("temperature", 20.0 + i)
                .set("humidity", 40.0)
                .set("pressure", 1000.0)
                .set("batteryLevel", 80.0)
                .set("status", 1);
        if (hasTimestamp) b.set("timestamp", timestamp + i);
        if (hasFirmware) b.set("firmware", "fw-" + i);
        last = producer.send(b.build());
      }
      System.out.println("{\"sent\":" + count + ",\"last\":\"" + last + "\"}");
    }
  }
}
