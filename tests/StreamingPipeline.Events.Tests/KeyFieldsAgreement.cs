using System.Text;

namespace StreamingPipeline.Events.Tests;

/// <summary>
/// Parses with <see cref="UserEventParser.Parse"/> and asserts that <see cref="UserEventParser.ParseKeyFields"/> gives the
/// same verdict (rejection, field, one-line reason) and, for a valid event, the same eventId, userId bytes and timestamp;
/// likewise that <see cref="UserEventParser.ParseFields"/> agrees on the verdict and on every field (strings as UTF-8).
/// </summary>
internal static class KeyFieldsAgreement
{
    public static EventParseResult Parse(ReadOnlySpan<byte> utf8, int maxRecordBytes = UserEventLimits.MaxRecordBytes)
    {
        var full = UserEventParser.Parse(utf8, maxRecordBytes);
        var keys = UserEventParser.ParseKeyFields(utf8, maxRecordBytes);
        Assert.Equal(full.Rejection, keys.Rejection);
        Assert.Equal(full.Field, keys.Field);
        Assert.Equal(full.ToString(), keys.ToString());
        if (full.IsValid)
        {
            Assert.Equal(full.Event.EventId, keys.EventId);
            Assert.Equal(full.Event.Timestamp, keys.Timestamp);
            Assert.Equal(Encoding.UTF8.GetBytes(full.Event.UserId), keys.UserIdUtf8.ToArray());
        }
        var fields = UserEventParser.ParseFields(utf8, maxRecordBytes);
        Assert.Equal(full.Rejection, fields.Rejection);
        Assert.Equal(full.Field, fields.Field);
        Assert.Equal(full.ToString(), fields.ToString());
        if (full.IsValid)
        {
            Assert.Equal(full.Event.EventId, fields.EventId);
            Assert.Equal(full.Event.EventType, fields.EventType);
            Assert.Equal(full.Event.Timestamp, fields.Timestamp);
            Assert.Equal(Encoding.UTF8.GetBytes(full.Event.UserId), fields.UserIdUtf8.ToArray());
            Assert.Equal(Encoding.UTF8.GetBytes(full.Event.Page), fields.PageUtf8.ToArray());
            Assert.Equal(Encoding.UTF8.GetBytes(full.Event.SessionId), fields.SessionIdUtf8.ToArray());
        }
        return full;
    }
}
