namespace StreamingPipeline.Events;

/// <summary>What a user did; serialized as the snake_case names in <see cref="EventTypes"/>.</summary>
public enum EventType : byte
{
    PageView = 0,
    Click = 1,
    AddToCart = 2,
    Purchase = 3,
    Login = 4,
    Logout = 5,
}
