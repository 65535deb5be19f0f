using StreamingPipeline.Observability;

namespace StreamingPipeline.Observability.Tests;

public sealed class ObservabilityAssemblyTests
{
    [Fact]
    public void The_assembly_is_named_after_its_component() =>
        Assert.Equal("StreamingPipeline.Observability", typeof(ObservabilityAssembly).Assembly.GetName().Name);
}
