using System.Text;
using System.Text.Json;

namespace StreamingPipeline.Events.Tests;

public class UserEventSerializerTests
{
    private static readonly UserEvent DesignExample = new(
        Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"), "u-000042", EventType.PageView, "/products/17", "s-91c2", 1764000000000);

    [Fact]
    public void SerializesTheDesignExampleExactly()
    {
        var json = Encoding.UTF8.GetString(UserEventSerializer.Serialize(DesignExample));

        Assert.Equal(
            """{"eventId":"0f8fad5b-d9cb-469f-a165-70867728950e","userId":"u-000042","eventType":"page_view","page":"/products/17","sessionId":"s-91c2","timestamp":1764000000000}""",
            json);
    }

    [Theory]
    [InlineData(EventType.PageView, "page_view")]
    [InlineData(EventType.Click, "click")]
    [InlineData(EventType.AddToCart, "add_to_cart")]
    [InlineData(EventType.Purchase, "purchase")]
    [InlineData(EventType.Login, "login")]
    [InlineData(EventType.Logout, "logout")]
    public void EveryEventTypeRoundTrips(EventType type, string name)
    {
        var e = DesignExample with { EventType = type };
        var bytes = UserEventSerializer.Serialize(e);

        Assert.Contains($"\"eventType\":\"{name}\"", Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
        Assert.Equal(e, UserEventParser.Parse(bytes).Event);
    }

    [Theory]
    [InlineData("quote\"inside")]
    [InlineData("back\\slash")]
    [InlineData("control\u0001\n\tchars")]
    [InlineData("ünïcödé ✓ 😀")]
    [InlineData("/search?q=a&b=<c>")]
    public void StringsThatNeedEscapingRoundTripAndStayValidJson(string text)
    {
        var e = DesignExample with { UserId = "u-" + text, Page = "/" + text, SessionId = "s-" + text };
        var bytes = UserEventSerializer.Serialize(e);

        using var document = JsonDocument.Parse(bytes);
        Assert.Equal("/" + text, document.RootElement.GetProperty("page").GetString());
        var parsed = UserEventParser.Parse(bytes);
        Assert.True(parsed.IsValid, parsed.ToString());
        Assert.Equal(e, parsed.Event);
    }

    [Fact]
    public void ALoneSurrogateIsWrittenAsTheReplacementCharacter()
    {
        var e = DesignExample with { Page = "/bad\ud800" };
        var parsed = UserEventParser.Parse(UserEventSerializer.Serialize(e));

        Assert.True(parsed.IsValid);
        Assert.Equal("/bad\ufffd", parsed.Event.Page);
    }

    [Fact]
    public void TryWriteReportsATooSmallBufferWithoutWriting()
    {
        var exact = UserEventSerializer.Serialize(DesignExample).Length;

        Assert.False(UserEventSerializer.TryWrite(DesignExample, new byte[exact - 1], out var written));
        Assert.Equal(0, written);
        Assert.True(UserEventSerializer.TryWrite(DesignExample, new byte[exact], out written));
        Assert.Equal(exact, written);
    }

    [Fact]
    public void MaxByteCountBoundsTheWorstCaseEscaping()
    {
        var nasty = new string('\u0001', 50);
        var e = DesignExample with { UserId = nasty, Page = nasty, SessionId = nasty, Timestamp = long.MinValue };

        Assert.True(UserEventSerializer.TryWrite(e, new byte[UserEventSerializer.GetMaxByteCount(e)], out _));
    }

    [Fact]
    public void AgreesWithSystemTextJsonOnEveryField()
    {
        var bytes = UserEventSerializer.Serialize(DesignExample);
        using var document = JsonDocument.Parse(bytes);
        var root = document.RootElement;

        Assert.Equal(DesignExample.EventId, root.GetProperty("eventId").GetGuid());
        Assert.Equal(DesignExample.UserId, root.GetProperty("userId").GetString());
        Assert.Equal(DesignExample.SessionId, root.GetProperty("sessionId").GetString());
        Assert.Equal(DesignExample.Timestamp, root.GetProperty("timestamp").GetInt64());
    }

    [Fact]
    public void WritingToAPreallocatedBufferDoesNotAllocate()
    {
        var buffer = new byte[512];
        UserEventSerializer.Write(DesignExample, buffer);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            UserEventSerializer.Write(DesignExample, buffer);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
