using StreamingPipeline.Events.Generation;

namespace StreamingPipeline.Events.Tests;

public class UserEventParserFuzzTests
{
    private static readonly byte[][] Alphabet =
    [
        "{"u8.ToArray(), "}"u8.ToArray(), "["u8.ToArray(), "]"u8.ToArray(), "\""u8.ToArray(), ":"u8.ToArray(), ","u8.ToArray(),
        "\\"u8.ToArray(), "\\u"u8.ToArray(), "\\ud800"u8.ToArray(), "null"u8.ToArray(), "1e999"u8.ToArray(), "-0"u8.ToArray(),
        "\"eventId\""u8.ToArray(), "\"timestamp\""u8.ToArray(), "\"eventType\""u8.ToArray(), [0xFF], [0xC0, 0x80], [0xE2, 0x82],
        [0], " "u8.ToArray(),
    ];

    [Fact]
    public void RandomBytesNeverThrowOnlyReject()
    {
        var random = new DeterministicRandom(1);
        var buffer = new byte[300];
        for (var i = 0; i < 20_000; i++)
        {
            var length = random.NextInt(buffer.Length);
            for (var j = 0; j < length; j++)
            {
                buffer[j] = (byte)random.NextUInt64();
            }
            AssertParsesOrRejects(buffer.AsSpan(0, length));
        }
    }

    [Fact]
    public void JsonLikeTokenSoupNeverThrowsOnlyRejects()
    {
        var random = new DeterministicRandom(2);
        var bytes = new List<byte>();
        for (var i = 0; i < 20_000; i++)
        {
            bytes.Clear();
            var tokens = random.NextInt(40);
            for (var j = 0; j < tokens; j++)
            {
                bytes.AddRange(Alphabet[random.NextInt(Alphabet.Length)]);
            }
            AssertParsesOrRejects(bytes.ToArray());
        }
    }

    [Fact]
    public void MutatedValidEventsNeverThrowAndValidOnesRoundTrip()
    {
        var random = new DeterministicRandom(3);
        var generator = new EventStreamGenerator(new GeneratorOptions { Seed = 3, EventTimeStart = 1_764_000_000_000 }, 8);
        var stillValid = 0;
        for (var i = 0; i < 20_000; i++)
        {
            generator.TryNext(out var record);
            var bytes = record.Value.ToArray();
            var mutations = 1 + random.NextInt(3);
            for (var m = 0; m < mutations; m++)
            {
                Mutate(bytes.AsSpan(), random, out var cut);
                bytes = bytes[..cut];
            }
            if (AssertParsesOrRejects(bytes))
            {
                stillValid++;
            }
        }
        // Some mutations (inside a page or id) leave a valid event; the round-trip check ran on those.
        Assert.InRange(stillValid, 1, 19_999);
    }

    private static void Mutate(Span<byte> bytes, DeterministicRandom random, out int length)
    {
        length = bytes.Length;
        if (bytes.IsEmpty)
        {
            return;
        }
        var at = random.NextInt(bytes.Length);
        switch (random.NextInt(4))
        {
            case 0:
                bytes[at] = (byte)random.NextUInt64();
                break;
            case 1:
                bytes[at] ^= (byte)(1 << random.NextInt(8));
                break;
            case 2:
                length = at;
                break;
            default:
                var specials = "\"{}[],:\\0"u8;
                bytes[at] = specials[random.NextInt(specials.Length)];
                break;
        }
    }

    private static bool AssertParsesOrRejects(ReadOnlySpan<byte> bytes)
    {
        // Any exception fails the test; a valid result must survive a serialize-parse round trip.
        var result = KeyFieldsAgreement.Parse(bytes);
        if (!result.IsValid)
        {
            Assert.NotEqual(EventRejection.None, result.Rejection);
            return false;
        }
        var again = UserEventParser.Parse(UserEventSerializer.Serialize(result.Event));
        Assert.True(again.IsValid);
        Assert.Equal(result.Event, again.Event);
        return true;
    }
}
