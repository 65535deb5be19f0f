using Confluent.Kafka;

namespace StreamingPipeline.Observability.Inspection;

/// <summary>
/// Looks into a Kafka cluster through Confluent.Kafka: topics and their offsets, records, consumer groups. One admin
/// client serves every call (it is safe to share between threads); dispose the inspector to close it.
/// </summary>
public sealed class KafkaInspector : IDisposable
{
    private readonly IAdminClient _admin;
    private readonly ReaderPool _readers;

    /// <summary>Connects lazily to <paramref name="connection"/> (the embedded broker's default listener when null).</summary>
    public KafkaInspector(KafkaConnection? connection = null)
    {
        Connection = connection ?? new KafkaConnection();
        _admin = new AdminClientBuilder(Connection.AdminConfig())
            .SetLogHandler((_, _) => { })
            .SetErrorHandler((_, _) => { })
            .Build();
        var metadata = new ClusterMetadata(_admin, Connection);
        Topics = new TopicInspector(metadata);
        _readers = new ReaderPool(Connection);
        Messages = new MessageReader(metadata, _readers);
        Groups = new ConsumerGroupInspector(_admin, metadata, Connection);
    }

    /// <summary>Where the cluster is.</summary>
    public KafkaConnection Connection { get; }

    /// <summary>Topics and their partition offsets.</summary>
    public TopicInspector Topics { get; }

    /// <summary>Reads records.</summary>
    public MessageReader Messages { get; }

    /// <summary>Consumer groups: list, describe with lag, reset offsets.</summary>
    public ConsumerGroupInspector Groups { get; }

    /// <inheritdoc/>
    public void Dispose()
    {
        _readers.Dispose();
        _admin.Dispose();
    }
}
