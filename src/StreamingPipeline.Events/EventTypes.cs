namespace StreamingPipeline.Events;

/// <summary>The wire names of <see cref="EventType"/> (<c>page_view</c>, <c>click</c>, ...) and their lookup.</summary>
public static class EventTypes
{
    /// <summary>Every event type, in enum order.</summary>
    public static IReadOnlyList<EventType> All { get; } =
        [EventType.PageView, EventType.Click, EventType.AddToCart, EventType.Purchase, EventType.Login, EventType.Logout];

    /// <summary>The JSON name of <paramref name="type"/> as UTF-8, without quotes.</summary>
    public static ReadOnlySpan<byte> Utf8Name(EventType type) => type switch
    {
        EventType.PageView => "page_view"u8,
        EventType.Click => "click"u8,
        EventType.AddToCart => "add_to_cart"u8,
        EventType.Purchase => "purchase"u8,
        EventType.Login => "login"u8,
        EventType.Logout => "logout"u8,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not an event type"),
    };

    /// <summary>The JSON name of <paramref name="type"/>.</summary>
    public static string Name(EventType type) => type switch
    {
        EventType.PageView => "page_view",
        EventType.Click => "click",
        EventType.AddToCart => "add_to_cart",
        EventType.Purchase => "purchase",
        EventType.Login => "login",
        EventType.Logout => "logout",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not an event type"),
    };

    /// <summary>Finds the event type whose UTF-8 name is exactly <paramref name="utf8Name"/>.</summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8Name, out EventType type)
    {
        // Dispatch on length first: each length but 5 ("click") names one type, so one comparison decides.
        switch (utf8Name.Length)
        {
            case 9 when utf8Name.SequenceEqual("page_view"u8):
                type = EventType.PageView;
                return true;
            case 5 when utf8Name.SequenceEqual("click"u8):
                type = EventType.Click;
                return true;
            case 5 when utf8Name.SequenceEqual("login"u8):
                type = EventType.Login;
                return true;
            case 11 when utf8Name.SequenceEqual("add_to_cart"u8):
                type = EventType.AddToCart;
                return true;
            case 8 when utf8Name.SequenceEqual("purchase"u8):
                type = EventType.Purchase;
                return true;
            case 6 when utf8Name.SequenceEqual("logout"u8):
                type = EventType.Logout;
                return true;
            default:
                type = default;
                return false;
        }
    }
}
