using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ArmCrc32 = System.Runtime.Intrinsics.Arm.Crc32;
using X86Sse42 = System.Runtime.Intrinsics.X86.Sse42;

namespace StreamingPipeline.Storage;

/// <summary>
/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of Kafka's v2 record batches and of every file
/// this project writes. System.IO.Hashing 10 has no CRC-32C, so this uses the CPU's CRC32C instruction (SSE4.2 on x64,
/// the CRC extension on Arm64) and falls back to a slicing-by-8 table elsewhere.
/// </summary>
public static class Crc32C
{
    private const uint ReflectedPolynomial = 0x82F63B78u;

    // Eight 256-entry tables for slicing-by-8; only the fallback path touches them.
    private static readonly uint[] Table = BuildTable();

    /// <summary>The CRC-32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>
    /// Continues a checksum: <c>Append(Compute(a), b) == Compute(a + b)</c>, so a value can be computed over pieces.
    /// </summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        var state = ~crc;
        if (X86Sse42.X64.IsSupported)
        {
            state = UpdateX64(state, data);
        }
        else if (ArmCrc32.Arm64.IsSupported)
        {
            state = UpdateArm64(state, data);
        }
        else
        {
            state = UpdateTable(state, data);
        }
        return ~state;
    }

    /// <summary>The table-driven path, exposed so tests can check it against the hardware path.</summary>
    internal static uint ComputeWithTable(ReadOnlySpan<byte> data) => ~UpdateTable(~0u, data);

    // Fully optimised from the first call: a broker checksums every batch from its first produce request.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static uint UpdateX64(uint state, ReadOnlySpan<byte> data)
    {
        ulong wide = state;
        while (data.Length >= 32)
        {
            wide = X86Sse42.X64.Crc32(wide, MemoryMarshal.Read<ulong>(data));
            wide = X86Sse42.X64.Crc32(wide, MemoryMarshal.Read<ulong>(data[8..]));
            wide = X86Sse42.X64.Crc32(wide, MemoryMarshal.Read<ulong>(data[16..]));
            wide = X86Sse42.X64.Crc32(wide, MemoryMarshal.Read<ulong>(data[24..]));
            data = data[32..];
        }
        while (data.Length >= 8)
        {
            wide = X86Sse42.X64.Crc32(wide, MemoryMarshal.Read<ulong>(data));
            data = data[8..];
        }
        var narrow = (uint)wide;
        foreach (var b in data)
        {
            narrow = X86Sse42.Crc32(narrow, b);
        }
        return narrow;
    }

    // Fully optimised from the first call: a broker checksums every batch from its first produce request.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static uint UpdateArm64(uint state, ReadOnlySpan<byte> data)
    {
        while (data.Length >= 8)
        {
            state = ArmCrc32.Arm64.ComputeCrc32C(state, MemoryMarshal.Read<ulong>(data));
            data = data[8..];
        }
        foreach (var b in data)
        {
            state = ArmCrc32.ComputeCrc32C(state, b);
        }
        return state;
    }

    // Fully optimised from the first call: a broker checksums every batch from its first produce request.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static uint UpdateTable(uint state, ReadOnlySpan<byte> data)
    {
        var table = Table.AsSpan();
        while (data.Length >= 8)
        {
            var low = BinaryPrimitives.ReadUInt32LittleEndian(data) ^ state;
            var high = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
            state = table[(7 * 256) + (int)(low & 0xFF)]
                ^ table[(6 * 256) + (int)((low >> 8) & 0xFF)]
                ^ table[(5 * 256) + (int)((low >> 16) & 0xFF)]
                ^ table[(4 * 256) + (int)(low >> 24)]
                ^ table[(3 * 256) + (int)(high & 0xFF)]
                ^ table[(2 * 256) + (int)((high >> 8) & 0xFF)]
                ^ table[256 + (int)((high >> 16) & 0xFF)]
                ^ table[(int)(high >> 24)];
            data = data[8..];
        }
        foreach (var b in data)
        {
            state = table[(int)((state ^ b) & 0xFF)] ^ (state >> 8);
        }
        return state;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[8 * 256];
        for (var i = 0; i < 256; i++)
        {
            var entry = (uint)i;
            for (var bit = 0; bit < 8; bit++)
            {
                entry = (entry & 1) != 0 ? (entry >> 1) ^ ReflectedPolynomial : entry >> 1;
            }
            table[i] = entry;
        }
        for (var slice = 1; slice < 8; slice++)
        {
            for (var i = 0; i < 256; i++)
            {
                var previous = table[((slice - 1) * 256) + i];
                table[(slice * 256) + i] = (previous >> 8) ^ table[(int)(previous & 0xFF)];
            }
        }
        return table;
    }
}
