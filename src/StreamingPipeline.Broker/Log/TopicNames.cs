using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Log;

/// <summary>Kafka's rules for topic names.</summary>
internal static class TopicNames
{
    /// <summary>The longest legal name: a partition directory name (topic, '-', partition) must fit in 255 bytes.</summary>
    public const int MaxLength = 249;

    /// <summary>INVALID_TOPIC_EXCEPTION with a reason when <paramref name="name"/> is not a legal topic name.</summary>
    public static ErrorCode Validate(string? name, out string? message)
    {
        if (string.IsNullOrEmpty(name))
        {
            message = "Topic name is illegal, it can't be empty.";
            return ErrorCode.InvalidTopicException;
        }
        if (name is "." or "..")
        {
            message = "Topic name cannot be \".\" or \"..\".";
            return ErrorCode.InvalidTopicException;
        }
        if (name.Length > MaxLength)
        {
            message = $"Topic name is illegal, it can't be longer than {MaxLength} characters, topic name: {name}";
            return ErrorCode.InvalidTopicException;
        }
        foreach (var c in name)
        {
            if (!IsLegal(c))
            {
                message = $"Topic name \"{name}\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'";
                return ErrorCode.InvalidTopicException;
            }
        }
        message = null;
        return ErrorCode.None;
    }

    /// <summary>True when two different names would clash in metric names, which replace '.' with '_' (Kafka refuses them).</summary>
    public static bool Collide(string a, string b) =>
        !string.Equals(a, b, StringComparison.Ordinal)
        && string.Equals(a.Replace('.', '_'), b.Replace('.', '_'), StringComparison.Ordinal);

    /// <summary>Splits a partition directory name "topic-N" at its last '-'.</summary>
    public static bool TryParsePartitionDirectory(string directoryName, out string topic, out int partition)
    {
        topic = string.Empty;
        partition = -1;
        var dash = directoryName.LastIndexOf('-');
        if (dash <= 0 || dash == directoryName.Length - 1)
        {
            return false;
        }
        var digits = directoryName.AsSpan(dash + 1);
        foreach (var c in digits)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }
        if (!int.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out partition))
        {
            return false;
        }
        topic = directoryName[..dash];
        return Validate(topic, out _) == ErrorCode.None;
    }

    private static bool IsLegal(char c) =>
        c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '.' or '_' or '-';
}
