using System.Buffers.Binary;
using System.Numerics;

namespace StreamingPipeline.Broker.Groups;

/// <summary>CRC-32C (Castagnoli), the checksum Kafka and this broker's files use; hardware-accelerated where the CPU has it.</summary>
internal static class Crc32C
{
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        var crc = uint.MaxValue;
        while (data.Length >= sizeof(ulong))
        {
            // The CRC instruction consumes the eight bytes in memory (little-endian) order.
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[sizeof(ulong)..];
        }
        foreach (var b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }
        return ~crc;
    }
}
