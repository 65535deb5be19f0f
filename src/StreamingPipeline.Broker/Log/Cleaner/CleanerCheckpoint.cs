using System.Buffers.Binary;
using StreamingPipeline.Storage;

namespace StreamingPipeline.Broker.Log.Cleaner;

/// <summary>
/// The first dirty offset of a partition (Kafka's cleaner-offset-checkpoint, one file per partition here): where the
/// last cleaning pass stopped, so the dirty ratio counts only what came after. One <see cref="ChecksummedFrame"/>
/// (version 1) whose payload is the offset as a big-endian i64, replaced atomically. Losing it costs one extra pass.
/// </summary>
internal static class CleanerCheckpoint
{
    /// <summary>The file's name inside the partition directory.</summary>
    public const string FileName = "cleaner-offset-checkpoint";

    private const short FormatVersion = 1;

    /// <summary>The stored offset, or 0 when there is none or it cannot be read.</summary>
    public static long Read(string partitionDirectory)
    {
        try
        {
            var record = AtomicFile.ReadRecord(PhysicalFileSystem.Instance, Path.Combine(partitionDirectory, FileName));
            return record is { Version: FormatVersion } r && r.Payload.Length == sizeof(long)
                ? BinaryPrimitives.ReadInt64BigEndian(r.Payload.Span)
                : 0;
        }
        catch (InvalidDataException)
        {
            return 0;
        }
    }

    /// <summary>Stores <paramref name="offset"/> durably.</summary>
    public static void Write(string partitionDirectory, long offset)
    {
        Span<byte> payload = stackalloc byte[sizeof(long)];
        BinaryPrimitives.WriteInt64BigEndian(payload, offset);
        AtomicFile.WriteRecord(PhysicalFileSystem.Instance, Path.Combine(partitionDirectory, FileName), FormatVersion, payload);
    }
}
