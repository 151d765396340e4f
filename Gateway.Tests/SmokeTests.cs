namespace Gateway.Tests;

public class SmokeTests
{
    [Fact]
    public void Build_Works() => Assert.Equal(0, global::Gateway.Program.Main([]));
}
