using System.Text;
using StreamingPipeline.Jobs.Dedup;

namespace StreamingPipeline.Jobs.Tests.Dedup;

public sealed class DedupKeyTests
{
    private static readonly Guid EventId = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e");

    private static byte[] Key(DedupKeyFormat format, Guid eventId, string userId)
    {
        Span<byte> buffer = stackalloc byte[DedupKey.MaxLength];
        return buffer[..DedupKey.Write(format, eventId, userId, buffer)].ToArray();
    }

    [Fact]
    public void The_exact_formats_hold_the_eventId_as_bytes_or_text_followed_by_the_userId()
    {
        var binary = Key(DedupKeyFormat.Binary, EventId, "u-000042");
        Assert.Equal(Convert.FromHexString("0f8fad5bd9cb469fa16570867728950e"), binary[..16]);
        Assert.Equal("u-000042", Encoding.UTF8.GetString(binary[16..]));

        Assert.Equal("0f8fad5b-d9cb-469f-a165-70867728950eu-000042", Encoding.UTF8.GetString(Key(DedupKeyFormat.Text, EventId, "u-000042")));
    }

    [Fact]
    public void The_hash_key_is_12_bytes_stable_for_the_same_event_and_different_for_another_eventId_or_user()
    {
        var key = Key(DedupKeyFormat.Hash96, EventId, "u-000042");

        Assert.Equal(DedupKey.HashBytes, key.Length);
        Assert.Equal(key, Key(DedupKeyFormat.Hash96, EventId, "u-000042"));
        Assert.NotEqual(key, Key(DedupKeyFormat.Hash96, EventId, "u-000043"));
        Assert.NotEqual(key, Key(DedupKeyFormat.Hash96, Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950f"), "u-000042"));
    }

    [Fact]
    public void The_longest_userId_fits_in_every_format()
    {
        var userId = new string('é', Events.UserEventLimits.MaxIdBytes / 2);

        Assert.Equal(DedupKey.MaxLength, Key(DedupKeyFormat.Text, EventId, userId).Length);
        Assert.Equal(16 + Events.UserEventLimits.MaxIdBytes, Key(DedupKeyFormat.Binary, EventId, userId).Length);
        Assert.Equal(DedupKey.HashBytes, Key(DedupKeyFormat.Hash96, EventId, userId).Length);
    }

    [Theory]
    [InlineData(DedupKeyFormat.Hash96)]
    [InlineData(DedupKeyFormat.Binary)]
    [InlineData(DedupKeyFormat.Text)]
    public void A_userId_given_as_utf8_bytes_makes_the_same_key_as_the_string(DedupKeyFormat format)
    {
        // The job keys from the record's bytes; keys already on disk were written from the decoded string.
        Span<byte> buffer = stackalloc byte[DedupKey.MaxLength];
        foreach (var userId in new[] { "u-000042", "é-ü-✓", new string('x', Events.UserEventLimits.MaxIdBytes) })
        {
            var fromBytes = buffer[..DedupKey.Write(format, EventId, Encoding.UTF8.GetBytes(userId), buffer)].ToArray();

            Assert.Equal(Key(format, EventId, userId), fromBytes);
        }
    }
}
