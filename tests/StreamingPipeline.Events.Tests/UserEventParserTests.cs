using System.Text;

namespace StreamingPipeline.Events.Tests;

public class UserEventParserTests
{
    private const string Id = "0f8fad5b-d9cb-469f-a165-70867728950e";

    private static string Json(
        string eventId = $"\"{Id}\"",
        string userId = "\"u-000042\"",
        string eventType = "\"click\"",
        string page = "\"/products/17\"",
        string sessionId = "\"s-91c2\"",
        string timestamp = "1764000000000") =>
        $$"""{"eventId":{{eventId}},"userId":{{userId}},"eventType":{{eventType}},"page":{{page}},"sessionId":{{sessionId}},"timestamp":{{timestamp}}}""";

    // Every case here also checks that the key-fields parser (the dedup job's) agrees with the full one.
    private static EventParseResult Parse(string json) => KeyFieldsAgreement.Parse(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void AValidEventParsesToItsFields()
    {
        var result = Parse(Json());

        Assert.True(result.IsValid);
        Assert.Equal(new UserEvent(Guid.Parse(Id), "u-000042", EventType.Click, "/products/17", "s-91c2", 1764000000000), result.Event);
        Assert.Equal("ok", result.Code);
    }

    [Fact]
    public void FieldOrderWhitespaceUnknownFieldsAndEscapedNamesAreAccepted()
    {
        var json = $$"""
            {
              "timestamp" : 1764000000000, "extra": {"nested": [1, 2, {"x": null}]},
              "sessionId": "s-1", "page": "", "eventTyp\u0065": "purchase",
              "userId": "u-\u0031", "eventId": "{{Id.ToUpperInvariant()}}"
            }
            """;
        var result = Parse(json);

        Assert.True(result.IsValid, result.ToString());
        Assert.Equal("u-1", result.Event.UserId);
        Assert.Equal(EventType.Purchase, result.Event.EventType);
        Assert.Equal("", result.Event.Page);
        Assert.Equal(Guid.Parse(Id), result.Event.EventId);
    }

    [Fact]
    public void BytesThatAreNotUtf8AreRejected()
    {
        var bytes = Encoding.UTF8.GetBytes(Json(page: "\"/xx\""));
        var at = Array.IndexOf(bytes, (byte)'x');
        bytes[at] = 0xC3;
        bytes[at + 1] = 0x28;

        AssertRejected(KeyFieldsAgreement.Parse(bytes), EventRejection.NotUtf8, EventField.None);
    }

    [Fact]
    public void AnEscapedLoneSurrogateIsRejectedAsNotUtf8()
    {
        AssertRejected(Parse(Json(userId: "\"u-\\ud800\"")), EventRejection.NotUtf8, EventField.None);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("{")]
    [InlineData("{\"eventId\":")]
    [InlineData("not json")]
    [InlineData("{\"a\":1,}")]
    [InlineData("{\"a\":1} {\"b\":2}")]
    [InlineData("{\"a\":1} x")]
    [InlineData("{'a':1}")]
    [InlineData("{\"a\":1 /* comment */}")]
    public void TextThatIsNotOneJsonValueIsRejectedAsNotJson(string text)
    {
        AssertRejected(Parse(text), EventRejection.NotJson, EventField.None);
    }

    [Fact]
    public void ASyntaxErrorAfterABadFieldIsStillNotJson()
    {
        var truncated = Json(timestamp: "\"soon\"")[..^5];

        AssertRejected(Parse(truncated), EventRejection.NotJson, EventField.None);
    }

    [Theory]
    [InlineData("[1,2,3]")]
    [InlineData("\"a string\"")]
    [InlineData("42")]
    [InlineData("null")]
    [InlineData("true")]
    public void JsonThatIsNotAnObjectIsRejectedAsNotObject(string text)
    {
        AssertRejected(Parse(text), EventRejection.NotObject, EventField.None);
    }

    [Theory]
    [InlineData(EventField.EventId)]
    [InlineData(EventField.UserId)]
    [InlineData(EventField.EventType)]
    [InlineData(EventField.Page)]
    [InlineData(EventField.SessionId)]
    [InlineData(EventField.Timestamp)]
    public void EachMissingFieldIsNamed(EventField field)
    {
        var json = Json();
        var name = $"\"{field.JsonName()}\":";
        var start = json.IndexOf(name, StringComparison.Ordinal);
        var end = json.IndexOfAny([',', '}'], json.IndexOf(':', start) + 1);
        var without = json.Remove(start, end - start + (json[end] == ',' ? 1 : 0));
        if (without.EndsWith(",}", StringComparison.Ordinal))
        {
            without = without[..^2] + "}";
        }

        AssertRejected(Parse(without), EventRejection.MissingField, field);
    }

    [Fact]
    public void ARepeatedFieldIsRejectedAsDuplicate()
    {
        var json = Json()[..^1] + ",\"userId\":\"u-other\"}";

        AssertRejected(Parse(json), EventRejection.DuplicateField, EventField.UserId);
    }

    [Theory]
    [InlineData("eventId", "42", EventField.EventId)]
    [InlineData("userId", "null", EventField.UserId)]
    [InlineData("userId", "[\"u\"]", EventField.UserId)]
    [InlineData("eventType", "{\"t\":1}", EventField.EventType)]
    [InlineData("page", "true", EventField.Page)]
    [InlineData("sessionId", "7", EventField.SessionId)]
    [InlineData("timestamp", "\"1764000000000\"", EventField.Timestamp)]
    [InlineData("timestamp", "1764000000000.5", EventField.Timestamp)]
    [InlineData("timestamp", "1.764e12", EventField.Timestamp)]
    [InlineData("timestamp", "null", EventField.Timestamp)]
    public void AFieldOfTheWrongTypeIsNamed(string name, string value, EventField field)
    {
        var json = Json(
            eventId: name == "eventId" ? value : $"\"{Id}\"",
            userId: name == "userId" ? value : "\"u-1\"",
            eventType: name == "eventType" ? value : "\"click\"",
            page: name == "page" ? value : "\"/\"",
            sessionId: name == "sessionId" ? value : "\"s-1\"",
            timestamp: name == "timestamp" ? value : "1764000000000");

        AssertRejected(Parse(json), EventRejection.WrongType, field);
    }

    [Theory]
    [InlineData("teleport")]
    [InlineData("")]
    [InlineData("PAGE_VIEW")]
    [InlineData("page_view ")]
    [InlineData("pageview")]
    public void AnUnknownEventTypeIsRejected(string name)
    {
        AssertRejected(Parse(Json(eventType: $"\"{name}\"")), EventRejection.UnknownEventType, EventField.EventType);
    }

    [Fact]
    public void AnEscapedKnownEventTypeIsAccepted()
    {
        var result = Parse(Json(eventType: "\"add\\u005fto_cart\""));

        Assert.True(result.IsValid, result.ToString());
        Assert.Equal(EventType.AddToCart, result.Event.EventType);
    }

    [Theory]
    [InlineData(EventField.EventId)]
    [InlineData(EventField.UserId)]
    [InlineData(EventField.SessionId)]
    public void AnEmptyIdIsRejected(EventField field)
    {
        var json = Json(
            eventId: field == EventField.EventId ? "\"\"" : $"\"{Id}\"",
            userId: field == EventField.UserId ? "\"\"" : "\"u-1\"",
            sessionId: field == EventField.SessionId ? "\"\"" : "\"s-1\"");

        AssertRejected(Parse(json), EventRejection.EmptyId, field);
    }

    [Theory]
    [InlineData(EventField.EventId, UserEventLimits.MaxIdBytes + 1)]
    [InlineData(EventField.UserId, UserEventLimits.MaxIdBytes + 1)]
    [InlineData(EventField.SessionId, UserEventLimits.MaxIdBytes + 1)]
    [InlineData(EventField.Page, UserEventLimits.MaxPageBytes + 1)]
    public void AnOversizedFieldIsRejected(EventField field, int length)
    {
        var big = $"\"{new string('x', length)}\"";
        var json = Json(
            eventId: field == EventField.EventId ? big : $"\"{Id}\"",
            userId: field == EventField.UserId ? big : "\"u-1\"",
            page: field == EventField.Page ? big : "\"/\"",
            sessionId: field == EventField.SessionId ? big : "\"s-1\"");

        AssertRejected(Parse(json), EventRejection.OversizedField, field);
    }

    [Fact]
    public void FieldsAtExactlyTheLimitAreAccepted()
    {
        var json = Json(
            userId: $"\"{new string('u', UserEventLimits.MaxIdBytes)}\"",
            page: $"\"{new string('p', UserEventLimits.MaxPageBytes)}\"",
            sessionId: $"\"{new string('s', UserEventLimits.MaxIdBytes)}\"");

        Assert.True(Parse(json).IsValid);
    }

    [Fact]
    public void AnEscapedIdIsMeasuredAfterUnescaping()
    {
        // 64 two-byte characters written as \u escapes: 384 bytes of JSON, 128 bytes of UTF-8, so accepted.
        var escaped = string.Concat(Enumerable.Repeat("\\u00e9", UserEventLimits.MaxIdBytes / 2));
        Assert.True(Parse(Json(userId: $"\"{escaped}\"")).IsValid);

        var oneMore = escaped + "\\u00e9";
        AssertRejected(Parse(Json(userId: $"\"{oneMore}\"")), EventRejection.OversizedField, EventField.UserId);
    }

    [Theory]
    [InlineData("not-a-uuid")]
    [InlineData("0f8fad5bd9cb469fa16570867728950e")]
    [InlineData("{0f8fad5b-d9cb-469f-a165-70867728950e}")]
    [InlineData("0f8fad5b-d9cb-469f-a165-70867728950g")]
    public void AnEventIdThatIsNotAUuidIsRejected(string eventId)
    {
        AssertRejected(Parse(Json(eventId: $"\"{eventId}\"")), EventRejection.InvalidEventId, EventField.EventId);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("0")]
    [InlineData("946684799999")]
    [InlineData("4102444800000")]
    [InlineData("99999999999999999999999")]
    public void ATimestampOutsideTheCenturyIsRejected(string timestamp)
    {
        AssertRejected(Parse(Json(timestamp: timestamp)), EventRejection.TimestampOutOfRange, EventField.Timestamp);
    }

    [Theory]
    [InlineData(946684800000)]
    [InlineData(4102444799999)]
    public void TimestampsAtTheRangeEdgesAreAccepted(long timestamp)
    {
        Assert.True(Parse(Json(timestamp: timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture))).IsValid);
    }

    [Fact]
    public void ARecordOverTheLimitIsRejectedBeforeItIsRead()
    {
        var json = Json()[..^1] + $",\"padding\":\"{new string('x', UserEventLimits.MaxRecordBytes)}\"}}";
        AssertRejected(Parse(json), EventRejection.RecordTooLarge, EventField.None);

        var bytes = Encoding.UTF8.GetBytes(Json());
        AssertRejected(KeyFieldsAgreement.Parse(bytes, maxRecordBytes: bytes.Length - 1), EventRejection.RecordTooLarge, EventField.None);
        Assert.True(KeyFieldsAgreement.Parse(bytes, maxRecordBytes: bytes.Length).IsValid);
    }

    [Fact]
    public void TheFirstFieldProblemInDocumentOrderWins()
    {
        var json = Json(userId: "\"\"", eventType: "\"teleport\"");

        AssertRejected(Parse(json), EventRejection.EmptyId, EventField.UserId);
    }

    [Fact]
    public void EveryRejectionHasADistinctStableCode()
    {
        var codes = EventRejections.All.Select(r => r.Code()).ToList();

        Assert.Equal(codes.Count, codes.Distinct().Count());
        Assert.All(codes, c => Assert.Matches("^[a-z0-9_]+$", c));
        Assert.All(EventRejections.All, r => Assert.True(EventRejections.TryParseCode(r.Code(), out var back) && back == r));
        Assert.Equal("missing_field: userId", EventParseResult.Rejected(EventRejection.MissingField, EventField.UserId).ToString());
    }

    [Fact]
    public void ParseFieldsGivesTheStringsOfASerializedEventAsSlicesOfTheRecord()
    {
        var bytes = UserEventSerializer.Serialize(new UserEvent(Guid.Parse(Id), "u-ä1", EventType.AddToCart, "", "s-2", 1764000000001));

        var fields = UserEventParser.ParseFields(bytes);

        Assert.True(fields.IsValid);
        Assert.True(fields.UserIdUtf8.Overlaps(bytes) && fields.SessionIdUtf8.Overlaps(bytes));
        Assert.Equal("u-ä1"u8.ToArray(), fields.UserIdUtf8.ToArray());
        Assert.Equal(0, fields.PageUtf8.Length);
        Assert.Equal(EventType.AddToCart, fields.EventType);
    }

    [Fact]
    public void ParseFieldsUnescapesStringsOfARecordOutsideTheSerializersLayout()
    {
        var bytes = Encoding.UTF8.GetBytes(Json(userId: "\"u-\\u00e4\"", page: "\"/a\\/b\""));

        var fields = UserEventParser.ParseFields(bytes);

        Assert.True(fields.IsValid);
        Assert.Equal("u-ä"u8.ToArray(), fields.UserIdUtf8.ToArray());
        Assert.Equal("/a/b"u8.ToArray(), fields.PageUtf8.ToArray());
        Assert.False(fields.UserIdUtf8.Overlaps(bytes));
    }

    private static void AssertRejected(EventParseResult result, EventRejection expected, EventField field)
    {
        Assert.False(result.IsValid);
        Assert.Equal((expected, field), (result.Rejection, result.Field));
    }
}
