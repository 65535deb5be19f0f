using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace StreamingPipeline.Broker.Transactions;

/// <summary>
/// CRC-32C (Castagnoli), the checksum of Kafka's v2 record batches and of every file this folder writes.
/// Kept internal to the transactions folder until it is merged with the log's implementation.
/// </summary>
internal static class TxnCrc32C
{
    private const uint ReversedPolynomial = 0x82F63B78;
    private static readonly uint[] _table = BuildTable();

    /// <summary>The CRC-32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>Continues <paramref name="crc"/> (a finished CRC of earlier bytes) over <paramref name="data"/>.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        var state = ~crc;
        if (Sse42.X64.IsSupported)
        {
            ulong wide = state;
            while (data.Length >= 8)
            {
                wide = Sse42.X64.Crc32(wide, BitConverter.ToUInt64(data));
                data = data[8..];
            }
            state = (uint)wide;
            foreach (var b in data)
            {
                state = Sse42.Crc32(state, b);
            }
        }
        else if (Crc32.Arm64.IsSupported)
        {
            while (data.Length >= 8)
            {
                state = Crc32.Arm64.ComputeCrc32C(state, BitConverter.ToUInt64(data));
                data = data[8..];
            }
            foreach (var b in data)
            {
                state = Crc32.ComputeCrc32C(state, b);
            }
        }
        else
        {
            foreach (var b in data)
            {
                state = _table[(state ^ b) & 0xFF] ^ (state >> 8);
            }
        }
        return ~state;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            var entry = i;
            for (var bit = 0; bit < 8; bit++)
            {
                entry = (entry & 1) != 0 ? (entry >> 1) ^ ReversedPolynomial : entry >> 1;
            }
            table[i] = entry;
        }
        return table;
    }

    /// <summary>The portable path, exposed so tests can check the hardware path against it.</summary>
    internal static uint ComputeWithTable(ReadOnlySpan<byte> data)
    {
        var state = ~0u;
        foreach (var b in data)
        {
            state = _table[(state ^ b) & 0xFF] ^ (state >> 8);
        }
        return ~state;
    }
}
