package io.iotpipeline.interop;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.api.AuthenticationFactory;
import org.apache.pulsar.client.api.ClientBuilder;
import org.apache.pulsar.client.api.MessageIdAdv;
import org.apache.pulsar.client.api.CompressionType;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.SubscriptionInitialPosition;
import org.apache.pulsar.client.api.TypedMessageBuilder;

/**
 * The official Java client's side of the interop tests (test/interop/pulsar-java-*.test.ts).
 *
 * <pre>
 * produce SERVICE_URL COUNT CODEC:TOPIC...   batched, keyed messages with properties and event
 *                                            times derived from their index (see message()); prints
 *                                            one JSON line per topic when all are persisted
 * consume SERVICE_URL COUNT TIMEOUT_MS TOPIC...  COUNT messages per topic from the earliest
 *                                            position; one JSON line per message
 * </pre>
 */
public final class PulsarInterop {
  private PulsarInterop() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 3) {
      System.err.println("usage: produce URL COUNT CODEC:TOPIC... | consume URL COUNT TIMEOUT_MS TOPIC...");
      System.exit(2);
    }
    // The broker authenticates every client: the token comes from the environment.
    ClientBuilder builder = PulsarClient.builder().serviceUrl(args[1]);
    String token = System.getenv("PULSAR_AUTH_TOKEN");
    if (token != null && !token.isEmpty()) builder.authentication(AuthenticationFactory.token(token));
    try (PulsarClient client = builder.build()) {
      int count = Integer.parseInt(args[2]);
      switch (args[0]) {
        case "produce":
          for (int i = 3; i < args.length; i++) {
            String[] codecTopic = args[i].split(":", 2);
            produce(client, CompressionType.valueOf(codecTopic[0]), codecTopic[1], count);
          }
          break;
        case "consume":
          long timeoutMs = Long.parseLong(args[3]);
          for (int i = 4; i < args.length; i++) consume(client, args[i], count, timeoutMs);
          break;
        default:
          System.err.println("unknown command " + args[0]);
          System.exit(2);
      }
    }
  }

  /** Sensor-like JSON with varied digits; the same text as sensorReadings() in java-client.ts. */
  private static String readings(int i) {
    StringBuilder s = new StringBuilder("[");
    for (int k = 0; k < 4 + i % 5; k++) {
      if (k > 0) s.append(',');
      s.append("{\"sensor\":").append((i * 7919 + k * 104729) % 100000);
      s.append(",\"t\":").append((i * 31 + k * 17) % 5000).append('}');
    }
    return s.append(']').toString();
  }

  private static void produce(PulsarClient client, CompressionType codec, String topic, int count)
      throws Exception {
    try (Producer<byte[]> producer =
        client
            .newProducer()
            .topic(topic)
            .compressionType(codec)
            // 4.x skips compression below a minimum body size; the tests need every codec used.
            .compressionMinMsgBodySize(0)
            .enableBatching(true)
            .batchingMaxMessages(Math.max(2, count / 3))
            .batchingMaxPublishDelay(50, TimeUnit.MILLISECONDS)
            .create()) {
      List<CompletableFuture<MessageId>> sends = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        TypedMessageBuilder<byte[]> b =
            producer
                .newMessage()
                .key("java-key-" + i)
                .value(
                    ("java " + codec + " message " + i + " " + "x".repeat(i * 7) + " " + readings(i))
                        .getBytes(StandardCharsets.UTF_8))
                .property("index", Integer.toString(i))
                .property("codec", codec.toString())
                .eventTime(1_700_000_000_000L + i);
        if (i % 2 == 1) b = b.property("unicode", "ünïcødé ✓ " + i);
        sends.add(b.sendAsync());
      }
      producer.flush();
      int batched = 0;
      for (CompletableFuture<MessageId> f : sends) {
        if (f.get(30, TimeUnit.SECONDS) instanceof MessageIdAdv) batched++;
      }
      System.out.println(
          "{\"topic\":" + json(topic) + ",\"sent\":" + count + ",\"batched\":" + batched + "}");
    }
  }

  private static void consume(PulsarClient client, String topic, int count, long timeoutMs)
      throws Exception {
    try (Consumer<byte[]> consumer =
        client
            .newConsumer()
            .topic(topic)
            .subscriptionName("java-interop")
            .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest)
            .subscribe()) {
      long deadline = System.currentTimeMillis() + timeoutMs;
      for (int received = 0; received < count; received++) {
        long left = deadline - System.currentTimeMillis();
        Message<byte[]> m = left > 0 ? consumer.receive((int) left, TimeUnit.MILLISECONDS) : null;
        if (m == null) {
          System.err.println("timed out on " + topic + " after " + received + " of " + count);
          System.exit(3);
        }
        System.out.println(describe(topic, m));
        consumer.acknowledge(m);
      }
    }
  }

  private static String describe(String topic, Message<byte[]> m) {
    StringBuilder s = new StringBuilder("{\"topic\":").append(json(topic));
    s.append(",\"key\":").append(m.hasKey() ? json(m.getKey()) : "null");
    s.append(",\"eventTime\":").append(m.getEventTime());
    s.append(",\"producerName\":").append(json(m.getProducerName()));
    s.append(",\"sequenceId\":").append(m.getSequenceId());
    MessageId id = m.getMessageId();
    s.append(",\"batchIndex\":").append(id instanceof MessageIdAdv ? ((MessageIdAdv) id).getBatchIndex() : -1);
    s.append(",\"batchSize\":").append(id instanceof MessageIdAdv ? ((MessageIdAdv) id).getBatchSize() : 0);
    s.append(",\"properties\":{");
    boolean first = true;
    for (Map.Entry<String, String> e : new TreeMap<>(m.getProperties()).entrySet()) {
      if (!first) s.append(',');
      first = false;
      s.append(json(e.getKey())).append(':').append(json(e.getValue()));
    }
    s.append("},\"payload\":").append(json(Base64.getEncoder().encodeToString(m.getData())));
    return s.append('}').toString();
  }

  private static String json(String v) {
    StringBuilder s = new StringBuilder("\"");
    for (char c : v.toCharArray()) {
      if (c == '"' || c == '\\') s.append('\\').append(c);
      else if (c < 0x20) s.append(String.format("\\u%04x", (int) c));
      else s.append(c);
    }
    return s.append('"').toString();
  }
}
