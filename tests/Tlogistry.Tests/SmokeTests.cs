namespace Tlogistry.Tests;

public sealed class SmokeTests
{
    [Fact]
    public void FixturesAreFoundOrSkipped()
    {
        var path = Support.Fixtures.Require("merkle", "README.md");
        Assert.True(File.Exists(path));
    }
}
