using Confluent.Kafka;

namespace StreamingPipeline.Processing;

/// <summary>Where a task sends its results; everything lands in the instance's open transaction.</summary>
public interface ITaskOutput
{
    /// <summary>Writes a record to the same partition number of the output topic.</summary>
    void Emit(byte[]? key, byte[]? value, long timestampMs, Headers? headers = null);

    /// <summary>
    /// Sends <paramref name="record"/> to the dead-letter topic with its original key and value bytes and headers
    /// naming <paramref name="code"/>, <paramref name="detail"/> and its source (see <see cref="DeadLetterHeaders"/>).
    /// </summary>
    void DeadLetter(InputRecord record, string code, string detail);
}
