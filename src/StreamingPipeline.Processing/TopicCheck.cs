using Confluent.Kafka;

namespace StreamingPipeline.Processing;

/// <summary>Checks at start that the job's topics exist and that input and output are co-partitioned.</summary>
internal static class TopicCheck
{
    /// <summary>Returns the partition count of the input; throws <see cref="ProcessingConfigurationException"/> when not runnable.</summary>
    public static int Run(ProcessingOptions options)
    {
        using var admin = new AdminClientBuilder(ClientConfigs.Admin(options)).Build();
        var input = Partitions(admin, options.InputTopic, options.RequestTimeout);
        var output = Partitions(admin, options.OutputTopic, options.RequestTimeout);
        Partitions(admin, options.DlqTopic, options.RequestTimeout);
        if (input != output)
        {
            throw new ProcessingConfigurationException(
                $"input topic '{options.InputTopic}' has {Count(input)} but output topic '{options.OutputTopic}' has {Count(output)}; they must be equal (output partition = input partition)");
        }
        return input;
    }

    private static string Count(int partitions) => partitions == 1 ? "1 partition" : $"{partitions} partitions";

    /// <summary>The partition count of <paramref name="topic"/>; throws <see cref="ProcessingConfigurationException"/> when it does not exist.</summary>
    public static int Partitions(IAdminClient admin, string topic, TimeSpan timeout)
    {
        Metadata metadata;
        try
        {
            metadata = admin.GetMetadata(topic, timeout);
        }
        catch (KafkaException ex)
        {
            throw new ProcessingConfigurationException($"cannot read the metadata of topic '{topic}': {ex.Error.Reason}");
        }
        var found = metadata.Topics.SingleOrDefault(t => t.Topic == topic);
        if (found is null || found.Error.IsError || found.Partitions.Count == 0)
        {
            throw new ProcessingConfigurationException(
                $"topic '{topic}' does not exist{(found?.Error.IsError == true ? $" ({found.Error.Reason})" : "")}; create it first (pipeline topics create)");
        }
        return found.Partitions.Count;
    }
}
